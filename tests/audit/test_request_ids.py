"""Each AuditEvent names its request's X-Request-Id (IHE BALP's transaction entity)."""

from __future__ import annotations

import pytest

from tests.audit.conftest import Audited
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio

BALP_ENTITY_TYPE = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"


def request_ids(event: dict[str, object]) -> list[str]:
    return [
        entity["what"]["identifier"]["value"]
        for entity in event.get("entity", [])  # type: ignore[attr-defined]
        if entity.get("type", {}).get("code") == "XrequestId"
        and entity["type"].get("system") == BALP_ENTITY_TYPE
    ]


async def test_an_event_quotes_the_request_id_a_caller_sees(audited: Audited) -> None:
    created = await audited.http.post(
        "/fhir/Patient", json=make_patient(), headers={"x-request-id": "trace-7"}
    )
    read = await audited.http.get(created.headers["location"].split("/_history")[0])
    missing = await audited.http.get("/fhir/Patient/nobody")

    events = await audited.events()
    by_request = sorted(request_ids(e)[0] for e in events if request_ids(e))
    expected = sorted(r.headers["x-request-id"] for r in (created, read, missing))
    assert by_request == expected
    assert "trace-7" in by_request

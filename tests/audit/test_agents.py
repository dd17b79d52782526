"""The agents of an access: the client by its client id, the user from fhirUser, refusals too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.settings import Settings
from tests.audit.conftest import CLIENT_ADDRESS, Audited, client_agent, opened, subtype
from tests.auth.tokens import ISSUER, auth_settings, issue
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio


@pytest.fixture
async def secured(settings: Settings, tmp_path: Path) -> AsyncIterator[Audited]:
    async with opened(settings, auth="smart", **auth_settings(tmp_path)) as audited:
        yield audited


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_client_and_user_of_a_token_are_the_agents(secured: Audited) -> None:
    token = issue("user/Patient.cruds", client_id="ehr-app", fhir_user="Practitioner/dr-1")
    created = await secured.http.post("/fhir/Patient", json=make_patient(), headers=bearer(token))
    read = await secured.http.get(f"/fhir/Patient/{created.json()['id']}", headers=bearer(token))

    events = await secured.events()

    assert (created.status_code, read.status_code) == (201, 200)
    assert [subtype(e) for e in events] == ["create", "read"]
    for event in events:
        client, user = event["agent"][0], event["agent"][1]
        assert client["who"]["identifier"] == {"system": ISSUER, "value": "ehr-app"}
        assert client["requestor"] is False
        assert client["network"]["address"] == CLIENT_ADDRESS
        assert user["who"] == {"reference": "Practitioner/dr-1"}
        assert user["requestor"] is True


async def test_refusals_are_audited_as_failures(secured: Audited) -> None:
    narrow = issue("system/Appointment.rs", client_id="scheduler")
    anonymous = await secured.http.get("/fhir/Patient/p1")
    forged = await secured.http.get("/fhir/Patient/p1", headers=bearer("not-a-token"))
    forbidden = await secured.http.get("/fhir/Patient/p1", headers=bearer(narrow))

    events = await secured.events()

    assert [anonymous.status_code, forged.status_code, forbidden.status_code] == [401, 401, 403]
    assert [(subtype(e), e["outcome"]) for e in events] == [("read", "4")] * 3
    assert ["who" in client_agent(e) for e in events] == [False, False, True]
    assert client_agent(events[2])["who"]["identifier"]["value"] == "scheduler"
    assert all(e["entity"][0]["what"] == {"reference": "Patient/p1"} for e in events)

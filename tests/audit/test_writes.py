"""A write's AuditEvent commits in the write's own batch; a refused write records a failure."""

from __future__ import annotations

import pytest

from server.storage.port import Method, StoredVersion
from server.versions import next_version
from tests.audit.conftest import Audited, subtype
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio
FHIR_JSON = {"Content-Type": "application/fhir+json"}


async def test_a_write_is_stored_with_its_event_before_the_answer(audited: Audited) -> None:
    response = await audited.http.post("/fhir/Patient", json=make_patient())
    created = response.json()["id"]

    # No flush: the event was in the write's batch, not in the queue.
    events = await audited.events(flush=False)

    assert [(subtype(e), e["outcome"]) for e in events] == [("create", "0")]
    references = {e["what"]["reference"] for e in events[0]["entity"] if "reference" in e["what"]}
    assert references == {f"Patient/{created}"}


async def test_a_stale_if_match_records_a_failure_and_no_success(audited: Audited) -> None:
    created = (await audited.http.post("/fhir/Patient", json=make_patient())).json()["id"]
    body = make_patient(id=created, gender="male")

    response = await audited.http.put(
        f"/fhir/Patient/{created}", json=body, headers={"If-Match": 'W/"7"'}
    )

    assert response.status_code == 412
    events = await audited.events(subtype="update")
    assert [e["outcome"] for e in events] == ["4"]
    stored = await audited.http.get(f"/fhir/Patient/{created}")
    assert stored.json()["meta"]["versionId"] == "1"


async def test_an_invalid_resource_records_a_failed_create(audited: Audited) -> None:
    invalid = make_patient(gender="sometimes")

    response = await audited.http.post("/fhir/Patient", json=invalid)

    assert response.status_code in (400, 422)
    events = await audited.events()
    assert [(subtype(e), e["action"], e["outcome"]) for e in events] == [("create", "C", "4")]
    assert "HTTP" in events[0]["outcomeDesc"]


async def test_a_failed_store_write_stores_neither(
    audited: Audited, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write whose batch fails (the version moved under it) leaves no success record."""
    service = audited.app.state.service
    store = service.store
    created = (await audited.http.post("/fhir/Patient", json=make_patient())).json()["id"]
    read = store.read

    async def read_then_moved_on(resource_type: str, resource_id: str) -> StoredVersion | None:
        # Another writer (a second process, say) gets in between the service's read and
        # its write, every time: each attempt's batch fails with VersionConflict.
        current: StoredVersion | None = await read(resource_type, resource_id)
        moved = next_version(
            resource_type, resource_id, current, make_patient(), Method.PUT, service.indexer
        )
        await store.write([moved])
        return current

    monkeypatch.setattr(store, "read", read_then_moved_on)
    response = await audited.http.put(f"/fhir/Patient/{created}", json=make_patient(id=created))
    monkeypatch.undo()

    assert response.status_code == 409
    events = await audited.events(subtype="update")
    assert [e["outcome"] for e in events] == ["4"]

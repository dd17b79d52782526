"""A Schedule's time zone (extension ``.../StructureDefinition/timezone``) must be an IANA
zone: a write naming another is refused 422 at the extension's value, on every path; a
Schedule stored before that rule (legacy data) is read as UTC, with a warning, not a 500."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest

from server.storage.port import Method
from server.versions import next_version
from tests.scheduling.booking import make_appointment, make_schedule, put_participant
from tests.transactions.conftest import bundle, entry, post_bundle

pytestmark = pytest.mark.anyio

DR = "Practitioner/dr-zone"
TIMEZONE = "https://fhirport.dev/fhir/StructureDefinition/timezone"
BAD = "Mars/Olympus_Mons"


def zoned(zone: Any, *, kind: str = "Code", schedule_id: str = "sch-zone") -> dict[str, Any]:
    """A Schedule of DR with an overbook capacity of 1, then the time zone extension."""
    schedule = {**make_schedule(DR, 1), "id": schedule_id}
    schedule["extension"].append({"url": TIMEZONE, f"value{kind}": zone})
    return schedule


@pytest.fixture(autouse=True)
async def doctor(client: httpx.AsyncClient) -> None:
    await put_participant(client, DR)


def assert_refused_at(response: httpx.Response, expression: str) -> None:
    assert response.status_code == 422, response.text
    issue = response.json()["issue"][0]
    assert issue["expression"] == [expression], issue
    assert BAD in issue["diagnostics"] or "valueCode" in issue["diagnostics"], issue


async def schedules(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/fhir/Schedule", params={"actor": DR})
    assert response.status_code == 200, response.text
    return [e["resource"]["id"] for e in response.json().get("entry", [])]


async def test_a_create_naming_no_zone_is_refused_at_the_extensions_value(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/fhir/Schedule", json=zoned(BAD))

    assert_refused_at(response, "Schedule.extension[1].valueCode")
    assert await schedules(client) == []


@pytest.mark.parametrize(
    ("zone", "kind", "where", "status"),
    [
        # Not even a code (FHIR's code has no empty value): invalid before any rule runs.
        pytest.param("", "Code", "valueCode", 400, id="empty"),
        pytest.param("../../etc/passwd", "Code", "valueCode", 422, id="a-path"),
        pytest.param("localtime", "Code", "valueCode", 422, id="the-hosts-zone"),
        pytest.param("America/Chicago", "String", "valueString", 422, id="not-a-code"),
    ],
)
async def test_other_values_that_name_no_zone_are_refused(
    client: httpx.AsyncClient, zone: str, kind: str, where: str, status: int
) -> None:
    response = await client.post("/fhir/Schedule", json=zoned(zone, kind=kind))

    assert response.status_code == status, response.text
    assert response.json()["issue"][0]["expression"] == [f"Schedule.extension[1].{where}"]
    assert await schedules(client) == []


async def test_a_zone_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.put("/fhir/Schedule/sch-zone", json=zoned("America/Chicago"))

    assert response.status_code == 201, response.text


async def test_an_update_and_a_patch_naming_no_zone_are_refused(
    client: httpx.AsyncClient,
) -> None:
    created = await client.put("/fhir/Schedule/sch-zone", json=zoned("America/Chicago"))
    assert created.status_code == 201, created.text

    updated = await client.put("/fhir/Schedule/sch-zone", json=zoned(BAD))
    patch = [{"op": "replace", "path": "/extension/1/valueCode", "value": BAD}]
    patched = await client.patch(
        "/fhir/Schedule/sch-zone",
        content=orjson.dumps(patch),
        headers={"Content-Type": "application/json-patch+json"},
    )

    assert_refused_at(updated, "Schedule.extension[1].valueCode")
    assert_refused_at(patched, "Schedule.extension[1].valueCode")
    stored = (await client.get("/fhir/Schedule/sch-zone")).json()
    assert stored["meta"]["versionId"] == "1"


async def test_a_batch_entry_naming_no_zone_is_refused_at_its_value(
    client: httpx.AsyncClient,
) -> None:
    response = await post_bundle(client, bundle("batch", entry("POST", "Schedule", zoned(BAD))))

    assert response.status_code == 200, response.text
    answer = response.json()["entry"][0]["response"]
    assert answer["status"].startswith("422"), answer
    issue = answer["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[0].resource.extension[1].valueCode"], issue
    assert await schedules(client) == []


@pytest.mark.parametrize("verb", ["POST", "PUT", "PATCH"])
async def test_a_transaction_entry_naming_no_zone_is_refused_at_its_value(
    client: httpx.AsyncClient, store_url: str, verb: str
) -> None:
    if store_url.startswith("memory:"):
        pytest.skip("memory:// refuses transaction Bundles (no transactions)")
    created = await client.put("/fhir/Schedule/sch-zone", json=zoned("America/Chicago"))
    assert created.status_code == 201, created.text
    if verb == "PATCH":
        patch = [{"op": "replace", "path": "/extension/1/valueCode", "value": BAD}]
        binary = {
            "resourceType": "Binary",
            "contentType": "application/json-patch+json",
            "data": base64.b64encode(orjson.dumps(patch)).decode(),
        }
        changed = entry("PATCH", "Schedule/sch-zone", binary)
    else:
        url = "Schedule" if verb == "POST" else "Schedule/sch-zone"
        changed = entry(verb, url, zoned(BAD))

    response = await post_bundle(client, bundle("transaction", changed))

    assert_refused_at(response, "Bundle.entry[0].resource.extension[1].valueCode")
    assert await schedules(client) == ["sch-zone"]


async def test_a_legacy_schedule_naming_no_zone_is_read_as_utc_with_a_warning(
    client: httpx.AsyncClient,
) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]
    legacy = zoned(BAD, schedule_id="sch-legacy")
    await service.store.write(
        [next_version("Schedule", "sch-legacy", None, legacy, Method.PUT, service.indexer)]
    )
    for patient in ("Patient/ann", "Patient/bob"):
        await put_participant(client, patient)

    # Its one overbook a day is counted per UTC day: 23:30Z and 00:30Z are two days.
    def overbook(start: str, end: str, patient: str) -> dict[str, Any]:
        return make_appointment(start, end, DR, patient, overbook=True)

    late = await client.post(
        "/fhir/Appointment",
        json=overbook("2025-03-03T23:30:00Z", "2025-03-03T23:45:00Z", "Patient/ann"),
    )
    early = await client.post(
        "/fhir/Appointment",
        json=overbook("2025-03-04T00:30:00Z", "2025-03-04T00:45:00Z", "Patient/bob"),
    )
    found = await client.get(
        "/fhir/Appointment/$find",
        params={
            "practitioner": DR,
            "start": "2025-03-03T00:00:00Z",
            "end": "2025-03-05T00:00:00Z",
            "urgency": "urgent",
        },
    )

    assert (late.status_code, early.status_code) == (201, 201), (late.text, early.text)
    assert (await client.get("/fhir/Schedule/sch-legacy")).status_code == 200
    assert found.status_code == 200, found.text
    outcomes = [
        e["resource"]
        for e in found.json().get("entry", [])
        if e["resource"]["resourceType"] == "OperationOutcome"
    ]
    assert len(outcomes) == 1, found.text
    warning = outcomes[0]["issue"][0]
    assert warning["severity"] == "warning", warning
    assert "Schedule/sch-legacy" in warning["diagnostics"]
    assert BAD in warning["diagnostics"]
    assert warning["expression"] == ["Schedule.extension[1].valueCode"]

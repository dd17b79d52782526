"""The front office's types are held: create, read, search by a couple of their parameters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import make_patient
from tests.scheduling.booking import put_participant

pytestmark = pytest.mark.anyio


def ids(bundle: dict[str, Any]) -> set[str]:
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


async def created(client: httpx.AsyncClient, resource: dict[str, Any]) -> str:
    response = await client.post(f"/fhir/{resource['resourceType']}", json=resource)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_schedule_and_its_slots_are_stored_and_found(client: httpx.AsyncClient) -> None:
    await put_participant(client, "Practitioner/dr-a")
    await put_participant(client, "Practitioner/dr-b")
    schedule = await created(
        client,
        {
            "resourceType": "Schedule",
            "active": True,
            "actor": [{"reference": "Practitioner/dr-a"}],
            "planningHorizon": {"start": "2025-03-01", "end": "2025-03-31"},
        },
    )
    await created(
        client,
        {"resourceType": "Schedule", "actor": [{"reference": "Practitioner/dr-b"}]},
    )
    free = await created(
        client,
        {
            "resourceType": "Slot",
            "schedule": {"reference": f"Schedule/{schedule}"},
            "status": "free",
            "start": "2025-03-03T09:00:00Z",
            "end": "2025-03-03T09:15:00Z",
        },
    )
    await created(
        client,
        {
            "resourceType": "Slot",
            "schedule": {"reference": f"Schedule/{schedule}"},
            "status": "busy",
            "start": "2025-03-03T09:15:00Z",
            "end": "2025-03-03T09:30:00Z",
        },
    )

    by_actor = await client.get("/fhir/Schedule", params={"actor": "Practitioner/dr-a"})
    by_status = await client.get(
        "/fhir/Slot", params={"schedule": f"Schedule/{schedule}", "status": "free"}
    )
    by_start = await client.get("/fhir/Slot", params={"start": "lt2025-03-03T09:10:00Z"})
    read = await client.get(f"/fhir/Slot/{free}")

    assert ids(by_actor.json()) == {schedule}
    assert ids(by_status.json()) == {free}
    assert ids(by_start.json()) == {free}
    assert read.json()["status"] == "free"


async def test_a_communication_is_found_by_patient_and_status(client: httpx.AsyncClient) -> None:
    patient = await created(client, make_patient())
    sent = await created(
        client,
        {
            "resourceType": "Communication",
            "status": "completed",
            "subject": {"reference": f"Patient/{patient}"},
            "payload": [{"contentString": "Your appointment is tomorrow at 9:00"}],
        },
    )
    await created(client, {"resourceType": "Communication", "status": "preparation"})

    found = await client.get(
        "/fhir/Communication", params={"patient": f"Patient/{patient}", "status": "completed"}
    )
    compartment = await client.get(f"/fhir/Patient/{patient}/Communication")

    assert ids(found.json()) == {sent}
    assert ids(compartment.json()) == {sent}


async def test_eligibility_requests_and_responses_are_found_by_patient(
    client: httpx.AsyncClient,
) -> None:
    patient = await created(client, make_patient())
    await client.put(
        "/fhir/Organization/payer", json={"resourceType": "Organization", "id": "payer"}
    )
    common = {
        "status": "active",
        "purpose": ["validation"],
        "patient": {"reference": f"Patient/{patient}"},
        "created": "2025-03-01",
        "insurer": {"reference": "Organization/payer"},
    }
    # A posted request is answered with its CoverageEligibilityResponse (server.eligibility);
    # Location names the request.
    posted = await client.post(
        "/fhir/CoverageEligibilityRequest",
        json={"resourceType": "CoverageEligibilityRequest", **common},
    )
    assert posted.status_code == 201, posted.text
    request = posted.headers["location"].split("/CoverageEligibilityRequest/")[1].split("/")[0]
    response = await created(
        client,
        {
            "resourceType": "CoverageEligibilityResponse",
            **common,
            "request": {"reference": f"CoverageEligibilityRequest/{request}"},
            "outcome": "complete",
        },
    )

    requests = await client.get(
        "/fhir/CoverageEligibilityRequest", params={"patient": f"Patient/{patient}"}
    )
    responses = await client.get(
        "/fhir/CoverageEligibilityResponse",
        params={"request": f"CoverageEligibilityRequest/{request}", "outcome": "complete"},
    )

    assert ids(requests.json()) == {request}
    assert ids(responses.json()) == {response}

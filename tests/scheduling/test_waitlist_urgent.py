"""Urgent squeeze-ins and the waitlist: overbook capacity and freed slots proposed; a
cancellation offered to the earliest waitlisted patient as a Task for the front desk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.scheduling.booking import make_appointment
from tests.scheduling.slots import clocked_client, slots_of, with_slots

pytestmark = pytest.mark.anyio

DR, DR2 = "Practitioner/dr-wait", "Practitioner/dr-elsewhere"
ANN, BOB, CY, DEE = "Patient/ann", "Patient/bob", "Patient/cy", "Patient/dee"
NOW = 1_740_990_000_000_000  # 2025-03-03T08:20:00Z, a Monday before the first slot
FRONT_DESK = "https://fhirport.dev/CodeSystem/front-desk"
OFFERS = {"code": f"{FRONT_DESK}|waitlist-offer", "status": "requested"}
OVERBOOK = "https://fhirport.dev/fhir/StructureDefinition/overbook"
KIND = "https://fhirport.dev/fhir/StructureDefinition/proposal-kind"


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app at NOW, with DR's Monday slots (overbook capacity 1) and DR2's."""
    async with clocked_client(settings, NOW) as (client, _):
        schedules = ((DR, "sch-wait"), (DR2, "sch-else"))
        horizon = ("2025-03-03", "2025-03-04")
        await with_slots(client, (ANN, BOB, CY, DEE), schedules, ["mon", "tue"], horizon, 1)
        yield client


async def stored(client: httpx.AsyncClient, appointment: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/fhir/Appointment", json=appointment)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def in_slot(slot: dict[str, Any], *actors: str) -> dict[str, Any]:
    return make_appointment(
        slot["start"], slot["end"], *actors, slot=[{"reference": f"Slot/{slot['id']}"}]
    )


def waitlisted(patient: str, practitioner: str, created: str) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "waitlist",
        "created": created,
        "participant": [
            {"actor": {"reference": practitioner}, "status": "needs-action"},
            {"actor": {"reference": patient}, "status": "accepted"},
        ],
    }


async def cancel(client: httpx.AsyncClient, appointment: dict[str, Any]) -> None:
    appointment = {**appointment, "status": "cancelled"}
    response = await client.put(f"/fhir/Appointment/{appointment['id']}", json=appointment)
    assert response.status_code == 200, response.text


async def offers(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/fhir/Task", params=OFFERS)
    assert response.status_code == 200, response.text
    return [entry["resource"] for entry in response.json().get("entry", [])]


async def test_a_cancellation_is_offered_to_the_earliest_waitlisted_patient(
    http: httpx.AsyncClient,
) -> None:
    slot = (await slots_of(http, "Schedule/sch-wait"))[0]
    booked = await stored(http, in_slot(slot, DR, ANN))
    later = await stored(http, waitlisted(BOB, DR, "2025-02-20T10:00:00Z"))
    earliest = await stored(http, waitlisted(CY, DR, "2025-02-10T10:00:00Z"))
    await stored(http, waitlisted(DEE, DR2, "2025-01-01T10:00:00Z"))

    await cancel(http, booked)

    [task] = await offers(http)
    assert task["status"] == "requested"
    assert task["code"]["coding"][0] == {
        "system": FRONT_DESK,
        "code": "waitlist-offer",
        "display": "Offer a freed slot to a waitlisted patient",
    }
    assert task["focus"] == {"reference": f"Appointment/{earliest['id']}"}
    assert task["for"] == {"reference": CY}
    assert task["owner"] == {"reference": DR}
    inputs = {i["type"]["coding"][0]["code"]: i for i in task["input"]}
    assert inputs["offered-slot"]["valueReference"] == {"reference": f"Slot/{slot['id']}"}
    assert inputs["offered-period"]["valuePeriod"] == {"start": slot["start"], "end": slot["end"]}
    assert later["id"] != earliest["id"]


async def test_no_offer_without_a_matching_waitlist_entry_and_one_per_cancellation(
    http: httpx.AsyncClient,
) -> None:
    slot = (await slots_of(http, "Schedule/sch-wait"))[0]
    booked = await stored(http, in_slot(slot, DR, ANN))
    await stored(http, waitlisted(DEE, DR2, "2025-01-01T10:00:00Z"))

    await cancel(http, booked)
    assert await offers(http) == []

    await stored(http, waitlisted(BOB, DR, "2025-02-20T10:00:00Z"))
    await cancel(http, booked)  # cancelled already: nothing is freed again
    assert await offers(http) == []


async def test_the_desk_works_the_offer_as_a_task(http: httpx.AsyncClient) -> None:
    slot = (await slots_of(http, "Schedule/sch-wait"))[0]
    booked = await stored(http, in_slot(slot, DR, ANN))
    await stored(http, waitlisted(BOB, DR, "2025-02-20T10:00:00Z"))
    await cancel(http, booked)
    [task] = await offers(http)

    task["status"] = "in-progress"
    response = await http.put(f"/fhir/Task/{task['id']}", json=task)

    assert response.status_code == 200, response.text
    assert await offers(http) == []


async def urgent(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/fhir/Appointment/$find",
        params={"practitioner": DR, "end": "2025-03-04T00:00:00Z", **params},
    )
    assert response.status_code == 200, response.text
    return [entry["resource"] for entry in response.json().get("entry", [])]


def kind(proposal: dict[str, Any]) -> str:
    return next(e["valueCode"] for e in proposal["extension"] if e["url"] == KIND)


async def test_urgent_find_proposes_the_remaining_overbook_capacity(
    http: httpx.AsyncClient,
) -> None:
    for n, slot in enumerate((await slots_of(http, "Schedule/sch-wait"))[:4]):
        await stored(http, in_slot(slot, DR, (ANN, BOB, CY, DEE)[n]))
    assert await urgent(http) == []

    found = await urgent(http, urgency="urgent")

    [squeeze] = found
    assert kind(squeeze) == "overbook"
    assert {"url": OVERBOOK, "valueBoolean": True} in squeeze["extension"]
    assert squeeze["start"] == "2025-03-03T09:00:00Z"
    assert "slot" not in squeeze
    booked = await http.post(
        "/fhir/Appointment/$book",
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "appt-resource", "resource": squeeze}],
        },
    )
    assert booked.status_code == 200, booked.text
    assert booked.json()["entry"][0]["resource"]["status"] == "booked"
    assert await urgent(http, urgency="urgent") == []


async def test_urgent_find_proposes_slots_freed_by_cancellations_today(
    http: httpx.AsyncClient,
) -> None:
    first = (await slots_of(http, "Schedule/sch-wait"))[0]
    booked = await stored(http, in_slot(first, DR, ANN))
    await cancel(http, booked)

    routine = await urgent(http, start="2025-03-03T09:30:00Z")
    found = await urgent(http, start="2025-03-03T09:30:00Z", urgency="urgent")

    assert first["start"] not in [p["start"] for p in routine]
    freed = [p for p in found if p["start"] == first["start"]]
    assert [kind(p) for p in freed] == ["freed-today"]
    assert [p["start"] for p in found] == sorted(p["start"] for p in found)

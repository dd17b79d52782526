"""Test data for Slot bookings: four Slots of one practitioner, bookings of them, checks."""

from __future__ import annotations

from typing import Any

import httpx

from tests.scheduling.booking import make_appointment, put_participant
from tests.scheduling.slots import generate, make_schedule_of, slots_of, weekly

DR = "Practitioner/dr-slot"
ANN, BOB = "Patient/ann", "Patient/bob"
SCHEDULE = "Schedule/sch-book"
FREED_BY = "https://fhirport.dev/fhir/StructureDefinition/slot-freed-by"


async def four_slots(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Four free 15-minute Slots of DR on Monday 2025-03-03 from 09:00 (ANN and BOB made)."""
    for patient in (ANN, BOB):
        await put_participant(client, patient)
    schedule = await make_schedule_of(
        client, DR, SCHEDULE.split("/")[1], horizon=("2025-03-03", "2025-03-03")
    )
    answer = await generate(
        client, schedule, weekly((["mon"], "09:00:00", "10:00:00"), slot_minutes=15)
    )
    assert answer.status_code == 200, answer.text
    return await slots_of(client, schedule)


def booking(slot: dict[str, Any], *actors: str, **overrides: Any) -> dict[str, Any]:
    """An Appointment of ``actors`` in ``slot`` (its start and end)."""
    return make_appointment(
        slot["start"], slot["end"], *actors, slot=[{"reference": f"Slot/{slot['id']}"}], **overrides
    )


async def booked(client: httpx.AsyncClient, slot: dict[str, Any], *actors: str) -> dict[str, Any]:
    """A booking of ``actors`` in ``slot``, stored (201)."""
    response = await client.post("/fhir/Appointment", json=booking(slot, *actors))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def slot_status(client: httpx.AsyncClient, slot: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"/fhir/Slot/{slot['id']}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def assert_freed_for_the_next(
    client: httpx.AsyncClient, slot: dict[str, Any], booked: dict[str, Any]
) -> None:
    """The Slot is free, marked freed by the ``booked`` Appointment, and books again."""
    stored = await slot_status(client, slot)
    assert stored["status"] == "free", f"{slot['id']} is {stored['status']}"
    assert {"url": FREED_BY, "valueReference": {"reference": f"Appointment/{booked['id']}"}} in (
        stored["extension"]
    )
    again = await client.post("/fhir/Appointment", json=booking(slot, DR, BOB))
    assert again.status_code == 201, again.text

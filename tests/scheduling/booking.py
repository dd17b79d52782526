"""Test data for bookings: Appointments of a practitioner and a patient, Schedules."""

from __future__ import annotations

from typing import Any

import httpx

OVERBOOK = "https://fhirport.dev/fhir/StructureDefinition/overbook"
CAPACITY = "https://fhirport.dev/fhir/StructureDefinition/overbook-capacity"


def make_appointment(
    start: str,
    end: str,
    *actors: str,
    status: str = "booked",
    overbook: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """An Appointment of ``actors`` (references) from ``start`` to ``end``."""
    appointment: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": status,
        "start": start,
        "end": end,
        "participant": [{"actor": {"reference": actor}, "status": "accepted"} for actor in actors],
    }
    if overbook:
        appointment["extension"] = [{"url": OVERBOOK, "valueBoolean": True}]
    appointment.update(overrides)
    return appointment


def make_schedule(actor: str, capacity: int | None) -> dict[str, Any]:
    """An active Schedule of ``actor`` with an overbook capacity (None: none set)."""
    schedule: dict[str, Any] = {
        "resourceType": "Schedule",
        "active": True,
        "actor": [{"reference": actor}],
    }
    if capacity is not None:
        schedule["extension"] = [{"url": CAPACITY, "valueInteger": capacity}]
    return schedule


async def put_participant(client: httpx.AsyncClient, reference: str) -> None:
    """Create the Practitioner, Location or Patient ``reference`` names, with that id."""
    resource_type, resource_id = reference.split("/")
    body: dict[str, Any] = {"resourceType": resource_type, "id": resource_id}
    if resource_type == "Location":
        body["name"] = resource_id
    response = await client.put(f"/fhir/{reference}", json=body)
    assert response.status_code in {200, 201}, response.text

"""Test data for bookings: Appointments of a practitioner and a patient, Schedules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from tests.e2e.server_process import running_server

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


@contextmanager
def servers_sharing(
    tmp_path_factory: pytest.TempPathFactory, name: str, *references: str
) -> Iterator[tuple[str, str]]:
    """Two ``fhirport serve`` processes on one SQLite file, with ``references`` (``Type/id``)
    created; their FHIR base URLs."""
    store = f"sqlite:///{tmp_path_factory.mktemp(name) / 'shared.sqlite3'}"
    with ExitStack() as stack:
        first = stack.enter_context(running_server(store))
        second = stack.enter_context(running_server(store))
        for reference in references:
            resource_type, resource_id = reference.split("/")
            body = {"resourceType": resource_type, "id": resource_id}
            assert httpx.put(f"{first}/{reference}", json=body).status_code in {200, 201}
        yield first, second

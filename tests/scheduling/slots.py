"""Test data for slots: a Schedule with a practitioner and the $generate-slots Parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from server.app import create_app
from server.settings import Settings
from tests.scheduling.booking import put_participant

SERVICE = {"coding": [{"system": "http://snomed.info/sct", "code": "11429006"}]}


def weekly(*hours: tuple[list[str], str, str], **more: Any) -> dict[str, Any]:
    """$generate-slots Parameters: ``hours`` as (days, start, end); ``more`` as named values."""
    parameter: list[dict[str, Any]] = [
        {
            "name": "available-time",
            "part": [
                *({"name": "day-of-week", "valueCode": day} for day in days),
                {"name": "start", "valueTime": start},
                {"name": "end", "valueTime": end},
            ],
        }
        for days, start, end in hours
    ]
    for name, value in more.items():
        parameter.extend(_named(name.replace("_", "-"), value))
    return {"resourceType": "Parameters", "parameter": parameter}


def _named(name: str, value: Any) -> list[dict[str, Any]]:
    if name == "exception":
        return [
            {
                "name": "exception",
                "part": [{"name": k, f"value{_kind(k)}": v} for k, v in e.items()],
            }
            for e in value
        ]
    if name == "slot-minutes":
        return [{"name": name, "valuePositiveInt": value}]
    if name in {"start", "end"}:
        return [{"name": name, "valueDate": value}]
    if name == "timezone":
        return [{"name": name, "valueCode": value}]
    if name == "service-type":
        return [{"name": name, "valueCodeableConcept": value}]
    raise AssertionError(name)


def _kind(part: str) -> str:
    return "Date" if part == "date" else "Time"


async def make_schedule_of(
    client: httpx.AsyncClient,
    actor: str,
    schedule_id: str,
    *,
    horizon: tuple[str, str] | None = None,
    capacity: int | None = None,
) -> str:
    """PUT a Schedule of ``actor`` (created first) and return ``Schedule/id``."""
    await put_participant(client, actor)
    schedule: dict[str, Any] = {
        "resourceType": "Schedule",
        "id": schedule_id,
        "active": True,
        "actor": [{"reference": actor}],
        "serviceType": [SERVICE],
    }
    if horizon is not None:
        schedule["planningHorizon"] = {"start": horizon[0], "end": horizon[1]}
    if capacity is not None:
        schedule["extension"] = [
            {
                "url": "https://fhirport.dev/fhir/StructureDefinition/overbook-capacity",
                "valueInteger": capacity,
            }
        ]
    response = await client.put(f"/fhir/Schedule/{schedule_id}", json=schedule)
    assert response.status_code in {200, 201}, response.text
    return f"Schedule/{schedule_id}"


async def generate(
    client: httpx.AsyncClient, schedule: str, parameters: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"/fhir/{schedule}/$generate-slots", json=parameters)


def counts(response: httpx.Response) -> dict[str, int]:
    """The answer's integer parameters by name."""
    assert response.status_code == 200, response.text
    return {p["name"]: p["valueInteger"] for p in response.json()["parameter"]}


async def slots_of(client: httpx.AsyncClient, schedule: str, **params: str) -> list[dict[str, Any]]:
    """Every Slot of the schedule (by start), as stored."""
    response = await client.get(
        "/fhir/Slot", params={"schedule": schedule, "_sort": "start", "_count": "1000", **params}
    )
    assert response.status_code == 200, response.text
    return [entry["resource"] for entry in response.json().get("entry", [])]


class Clock:
    """The scheduling clock a test holds and moves (microseconds since the epoch)."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@asynccontextmanager
async def clocked_client(
    settings: Settings, now: int
) -> AsyncIterator[tuple[httpx.AsyncClient, Clock]]:
    """A client of an app whose scheduling clock (holds, $find, the waitlist) is the test's."""
    application = create_app(settings)
    clock = Clock(now)
    async with application.router.lifespan_context(application):
        application.state.service.hold_rules["Appointment"].slots.clock = clock
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, clock


async def with_slots(
    http: httpx.AsyncClient,
    patients: tuple[str, ...],
    schedules: tuple[tuple[str, str], ...],
    days: list[str],
    horizon: tuple[str, str],
    capacity: int | None = None,
) -> None:
    """The patients, and a Schedule (actor, id) each with 15-minute Slots 09:00-10:00 on
    ``days`` of ``horizon``."""
    for patient in patients:
        await put_participant(http, patient)
    for actor, schedule_id in schedules:
        schedule = await make_schedule_of(
            http, actor, schedule_id, horizon=horizon, capacity=capacity
        )
        hours = weekly((days, "09:00:00", "10:00:00"), slot_minutes=15)
        assert (await generate(http, schedule, hours)).status_code == 200

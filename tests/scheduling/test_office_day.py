"""Overbooks are counted per day of the Schedule's time zone (its ``timezone`` extension,
else UTC), however a booking writes its times."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.scheduling.booking import make_appointment, make_schedule, put_participant
from tests.scheduling.slots import clocked_client, with_slots

pytestmark = pytest.mark.anyio

DR = "Practitioner/dr-tz"
TIMEZONE = "https://fhirport.dev/fhir/StructureDefinition/timezone"
KIND = "https://fhirport.dev/fhir/StructureDefinition/proposal-kind"
MONDAY = ("2025-03-03", "2025-03-03")


@pytest.fixture(autouse=True)
async def participants(client: httpx.AsyncClient) -> None:
    for reference in (DR, "Patient/ann", "Patient/bob", "Patient/cy"):
        await put_participant(client, reference)


async def schedule_in(client: httpx.AsyncClient, zone: str | None) -> None:
    schedule: dict[str, Any] = make_schedule(DR, 1)
    if zone is not None:
        schedule["extension"].append({"url": TIMEZONE, "valueCode": zone})
    assert (await client.post("/fhir/Schedule", json=schedule)).status_code == 201


async def overbook(client: httpx.AsyncClient, start: str, end: str, patient: str) -> int:
    booking = make_appointment(start, end, DR, patient, overbook=True)
    return (await client.post("/fhir/Appointment", json=booking)).status_code


async def test_one_chicago_evening_and_morning_are_one_day(client: httpx.AsyncClient) -> None:
    await schedule_in(client, "America/Chicago")
    # Monday 20:00 in Chicago is Tuesday 02:00 UTC.
    evening = await overbook(client, "2025-03-04T02:00:00Z", "2025-03-04T02:15:00Z", "Patient/ann")
    morning = await overbook(client, "2025-03-03T15:00:00Z", "2025-03-03T15:15:00Z", "Patient/bob")
    tuesday = await overbook(
        client, "2025-03-04T09:00:00-06:00", "2025-03-04T09:15:00-06:00", "Patient/cy"
    )

    assert (evening, morning, tuesday) == (201, 409, 201)


async def test_without_a_time_zone_the_day_is_utcs_whatever_the_offset_written(
    client: httpx.AsyncClient,
) -> None:
    await schedule_in(client, None)
    # Both on Tuesday 4 March UTC, though the first is written as Monday in Chicago.
    first = await overbook(
        client, "2025-03-03T20:00:00-06:00", "2025-03-03T20:15:00-06:00", "Patient/ann"
    )
    second = await overbook(client, "2025-03-04T15:00:00Z", "2025-03-04T15:15:00Z", "Patient/bob")

    assert (first, second) == (201, 409)


async def test_urgent_find_counts_the_overbooks_of_the_schedules_day(settings: Settings) -> None:
    now = 1_740_990_000_000_000  # 2025-03-03T08:20:00Z: Monday 02:20 in Chicago
    async with clocked_client(settings, now) as (http, _):
        await with_slots(http, ("Patient/ann",), ((DR, "sch-tz"),), ["mon"], MONDAY, 1)
        schedule = (await http.get("/fhir/Schedule/sch-tz")).json()
        schedule["extension"].append({"url": TIMEZONE, "valueCode": "America/Chicago"})
        assert (await http.put("/fhir/Schedule/sch-tz", json=schedule)).status_code == 200
        # Monday 20:00 in Chicago, Tuesday 02:00 UTC: Monday's one overbook, taken.
        taken = await overbook(http, "2025-03-04T02:00:00Z", "2025-03-04T02:15:00Z", "Patient/ann")
        assert taken == 201

        found = await http.get(
            "/fhir/Appointment/$find",
            params={"practitioner": DR, "end": "2025-03-04T00:00:00Z", "urgency": "urgent"},
        )

    assert found.status_code == 200, found.text
    kinds = [
        e["valueCode"]
        for entry in found.json().get("entry", [])
        for e in entry["resource"].get("extension", [])
        if e["url"] == KIND
    ]
    assert "overbook" not in kinds
    assert kinds  # Monday's free Slots are still proposed

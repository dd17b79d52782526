"""Concurrent bookings of one practitioner's quarter hour: exactly one is booked."""

from __future__ import annotations

from functools import partial

import httpx
import pytest

from tests.released_together import released_together
from tests.scheduling.booking import make_appointment, put_participant

pytestmark = pytest.mark.anyio

RACERS = 16
ROUNDS = 3
DR = "Practitioner/dr-race"


async def test_sixteen_concurrent_bookings_of_one_quarter_hour_book_one(
    client: httpx.AsyncClient,
) -> None:
    await put_participant(client, DR)
    for n in range(RACERS):
        await put_participant(client, f"Patient/racer-{n}")
    for round_number in range(ROUNDS):
        start = f"2025-03-0{round_number + 3}T09:00:00Z"
        end = f"2025-03-0{round_number + 3}T09:15:00Z"
        calls = [
            partial(
                client.post,
                "/fhir/Appointment",
                json=make_appointment(start, end, DR, f"Patient/racer-{n}"),
            )
            for n in range(RACERS)
        ]

        responses = await released_together(calls)

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * (RACERS - 1), [r.text for r in responses]
        stored = await client.get(
            "/fhir/Appointment",
            params={"actor": DR, "date": start[:10], "_total": "accurate"},
        )
        assert stored.json()["total"] == 1

"""A booking's deletion and new bookings of its quarter hour, released together: at most
one new booking gets it, none is answered with an error, and what is stored agrees."""

from __future__ import annotations

from functools import partial

import httpx
import pytest

from tests.released_together import released_together
from tests.scheduling.booking import make_appointment, put_participant

pytestmark = pytest.mark.anyio

RACERS = 8
ROUNDS = 3
DR = "Practitioner/dr-delete-race"


async def test_a_deletion_and_new_bookings_of_its_minutes_book_at_most_one(
    client: httpx.AsyncClient,
) -> None:
    await put_participant(client, DR)
    for n in range(RACERS + 1):
        await put_participant(client, f"Patient/delete-racer-{n}")
    for round_number in range(ROUNDS):
        start = f"2025-04-0{round_number + 1}T10:00:00Z"
        end = f"2025-04-0{round_number + 1}T10:15:00Z"
        first = make_appointment(start, end, DR, f"Patient/delete-racer-{RACERS}")
        booked = await client.post("/fhir/Appointment", json=first)
        assert booked.status_code == 201, booked.text
        calls = [partial(client.delete, f"/fhir/Appointment/{booked.json()['id']}")]
        calls += [
            partial(
                client.post,
                "/fhir/Appointment",
                json=make_appointment(start, end, DR, f"Patient/delete-racer-{n}"),
            )
            for n in range(RACERS)
        ]

        deleted, *bookings = await released_together(calls)

        assert deleted.status_code == 204, deleted.text
        statuses = [r.status_code for r in bookings]
        assert set(statuses) <= {201, 409}, [r.text for r in bookings]
        assert statuses.count(201) <= 1
        stored = await client.get(
            "/fhir/Appointment",
            params={"actor": DR, "date": start[:10], "_total": "accurate"},
        )
        assert stored.json()["total"] == statuses.count(201)
        if not statuses.count(201):  # every racer came before the deletion: the minutes are free
            again = make_appointment(start, end, DR, "Patient/delete-racer-0")
            assert (await client.post("/fhir/Appointment", json=again)).status_code == 201

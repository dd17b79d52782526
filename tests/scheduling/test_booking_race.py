"""Concurrent bookings of one practitioner's quarter hour: exactly one is booked; with a
deletion of the booking that held it released among them, at most one."""

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
DELETION_DR = "Practitioner/dr-delete-race"


async def test_sixteen_concurrent_bookings_of_one_quarter_hour_book_one(
    client: httpx.AsyncClient,
) -> None:
    await _participants(client, DR, RACERS)
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


async def _participants(client: httpx.AsyncClient, practitioner: str, patients: int) -> None:
    await put_participant(client, practitioner)
    for n in range(patients):
        await put_participant(client, f"Patient/racer-{n}")


async def test_a_deletion_and_new_bookings_of_its_minutes_book_at_most_one(
    client: httpx.AsyncClient,
) -> None:
    await _participants(client, DELETION_DR, RACERS + 1)
    for round_number in range(ROUNDS):
        start = f"2025-04-0{round_number + 1}T10:00:00Z"
        end = f"2025-04-0{round_number + 1}T10:15:00Z"
        first = make_appointment(start, end, DELETION_DR, f"Patient/racer-{RACERS}")
        booked = await client.post("/fhir/Appointment", json=first)
        assert booked.status_code == 201, booked.text
        calls = [partial(client.delete, f"/fhir/Appointment/{booked.json()['id']}")]
        calls += [
            partial(
                client.post,
                "/fhir/Appointment",
                json=make_appointment(start, end, DELETION_DR, f"Patient/racer-{n}"),
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
            params={"actor": DELETION_DR, "date": start[:10], "_total": "accurate"},
        )
        assert stored.json()["total"] == statuses.count(201)
        if not statuses.count(201):  # every racer came before the deletion: the minutes are free
            again = make_appointment(start, end, DELETION_DR, "Patient/racer-0")
            assert (await client.post("/fhir/Appointment", json=again)).status_code == 201

"""No double-booking: a busy Appointment may not overlap another of the same participant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.scheduling.booking import make_appointment, make_schedule, put_participant

pytestmark = pytest.mark.anyio

DR = "Practitioner/dr-a"
ROOM = "Location/room-1"
ANN, BOB = "Patient/ann", "Patient/bob"


@pytest.fixture(autouse=True)
async def participants(client: httpx.AsyncClient) -> None:
    """The practitioners, the room and the patients, for references that resolve."""
    for reference in (DR, "Practitioner/dr-b", ROOM, ANN, BOB, "Patient/cy"):
        await put_participant(client, reference)


async def book(client: httpx.AsyncClient, appointment: dict[str, Any]) -> httpx.Response:
    return await client.post("/fhir/Appointment", json=appointment)


async def booked(client: httpx.AsyncClient, appointment: dict[str, Any]) -> dict[str, Any]:
    response = await book(client, appointment)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_overlapping_booking_of_the_practitioner_is_refused_naming_the_other(
    client: httpx.AsyncClient,
) -> None:
    first = await booked(
        client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN)
    )

    response = await book(
        client, make_appointment("2025-03-03T09:10:00Z", "2025-03-03T09:25:00Z", BOB, DR)
    )

    assert response.status_code == 409
    issue = response.json()["issue"][0]
    assert issue["code"] == "conflict"
    assert f"Appointment/{first['id']}" in issue["diagnostics"]
    assert DR in issue["diagnostics"]
    assert issue["expression"] == ["Appointment.participant[1].actor"]


@pytest.mark.parametrize(
    ("second_actors", "expression"),
    [
        pytest.param(
            (BOB, "Practitioner/dr-b", ROOM), "Appointment.participant[2].actor", id="location"
        ),
        pytest.param(("Practitioner/dr-b", ANN), "Appointment.participant[1].actor", id="patient"),
    ],
)
async def test_the_location_and_the_patient_cannot_be_double_booked_either(
    client: httpx.AsyncClient, second_actors: tuple[str, ...], expression: str
) -> None:
    await booked(
        client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:30:00Z", DR, ANN, ROOM)
    )

    response = await book(
        client, make_appointment("2025-03-03T09:15:00Z", "2025-03-03T09:45:00Z", *second_actors)
    )

    assert response.status_code == 409
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_back_to_back_and_other_participants_bookings_are_allowed(
    client: httpx.AsyncClient,
) -> None:
    await booked(client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN))

    await booked(client, make_appointment("2025-03-03T09:15:00Z", "2025-03-03T09:30:00Z", DR, BOB))
    await booked(
        client,
        make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", "Practitioner/dr-b", BOB),
    )


async def test_appointments_that_are_not_busy_do_not_conflict(client: httpx.AsyncClient) -> None:
    for status in ("proposed", "pending", "cancelled", "waitlist"):
        await booked(
            client,
            make_appointment(
                "2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN, status=status
            ),
        )

    await booked(client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, BOB))


async def test_cancelling_frees_the_time(client: httpx.AsyncClient) -> None:
    first = await booked(
        client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN)
    )
    first["status"] = "cancelled"
    cancelled = await client.put(f"/fhir/Appointment/{first['id']}", json=first)
    assert cancelled.status_code == 200

    await booked(client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, BOB))


async def test_deleting_frees_the_time(client: httpx.AsyncClient) -> None:
    first = await booked(
        client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN)
    )
    assert (await client.delete(f"/fhir/Appointment/{first['id']}")).status_code in {200, 204}

    await booked(client, make_appointment("2025-03-03T09:05:00Z", "2025-03-03T09:20:00Z", DR, BOB))


async def test_rescheduling_moves_the_time_and_is_refused_onto_a_busy_one(
    client: httpx.AsyncClient,
) -> None:
    first = await booked(
        client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN)
    )
    await booked(client, make_appointment("2025-03-03T10:00:00Z", "2025-03-03T10:15:00Z", DR, BOB))

    onto_busy = {**first, "start": "2025-03-03T10:05:00Z", "end": "2025-03-03T10:20:00Z"}
    refused = await client.put(f"/fhir/Appointment/{first['id']}", json=onto_busy)
    moved = {**first, "start": "2025-03-03T11:00:00Z", "end": "2025-03-03T11:15:00Z"}
    accepted = await client.put(f"/fhir/Appointment/{first['id']}", json=moved)
    freed = await book(
        client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, "Patient/cy")
    )

    assert refused.status_code == 409
    assert accepted.status_code == 200
    assert freed.status_code == 201


async def test_an_overbook_is_allowed_stored_and_searchable(client: httpx.AsyncClient) -> None:
    await booked(client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN))

    extra = await booked(
        client,
        make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, BOB, overbook=True),
    )
    found = await client.get("/fhir/Appointment", params={"overbook": "true"})

    assert [e["resource"]["id"] for e in found.json()["entry"]] == [extra["id"]]


async def test_overbooks_are_counted_against_the_schedules_capacity_per_day(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/fhir/Schedule", json=make_schedule(DR, 1))).status_code == 201
    await booked(client, make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN))
    await booked(
        client,
        make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, BOB, overbook=True),
    )

    second = await book(
        client,
        make_appointment(
            "2025-03-03T14:00:00Z", "2025-03-03T14:15:00Z", DR, "Patient/cy", overbook=True
        ),
    )
    next_day = await book(
        client,
        make_appointment(
            "2025-03-04T09:00:00Z", "2025-03-04T09:15:00Z", DR, "Patient/cy", overbook=True
        ),
    )

    assert second.status_code == 409
    assert "overbook" in second.json()["issue"][0]["diagnostics"]
    assert next_day.status_code == 201


async def test_without_a_capacity_overbooks_are_unlimited(client: httpx.AsyncClient) -> None:
    assert (await client.post("/fhir/Schedule", json=make_schedule(DR, None))).status_code == 201
    for patient in (ANN, BOB, "Patient/cy"):
        await booked(
            client,
            make_appointment(
                "2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, patient, overbook=True
            ),
        )

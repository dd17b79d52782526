"""$validate runs the hold rules a write runs: a double-booking is the 409 the booking
would get, a claim the scrub refuses under ``--scrub-on-create error`` is the 422."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.scheduling.booking import make_appointment, put_participant

pytestmark = pytest.mark.anyio

DR, ANN, BOB = "Practitioner/dr-a", "Patient/ann", "Patient/bob"


async def validate(
    client: httpx.AsyncClient, path: str, resource: dict[str, Any], mode: str | None = None
) -> httpx.Response:
    params = {"mode": mode} if mode else {}
    return await client.post(f"/fhir/{path}/$validate", json=resource, params=params)


@pytest.fixture(autouse=True)
async def participants(client: httpx.AsyncClient) -> None:
    for reference in (DR, ANN, BOB):
        await put_participant(client, reference)


async def test_a_booking_that_overlaps_another_is_the_409_naming_it(
    client: httpx.AsyncClient,
) -> None:
    first = make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN)
    stored = await client.post("/fhir/Appointment", json=first)
    assert stored.status_code == 201, stored.text
    other = make_appointment("2025-03-03T09:10:00Z", "2025-03-03T09:25:00Z", BOB, DR)

    response = await validate(client, "Appointment", other, "create")

    assert response.status_code == 409, response.text
    [issue] = response.json()["issue"]
    assert issue["code"] == "conflict"
    assert f"Appointment/{stored.json()['id']}" in issue["diagnostics"]
    assert (await client.get("/fhir/Appointment")).json()["total"] == 1


async def test_a_booking_that_fits_and_its_own_update_are_all_ok(
    client: httpx.AsyncClient,
) -> None:
    first = make_appointment("2025-03-03T09:00:00Z", "2025-03-03T09:15:00Z", DR, ANN)
    stored = (await client.post("/fhir/Appointment", json=first)).json()
    later = make_appointment("2025-03-03T09:15:00Z", "2025-03-03T09:30:00Z", BOB, DR)
    moved = {**stored, "end": "2025-03-03T09:14:00Z"}

    fits = await validate(client, "Appointment", later, "create")
    itself = await validate(client, f"Appointment/{stored['id']}", moved, "update")

    assert fits.status_code == 200, fits.text
    assert itself.status_code == 200, itself.text

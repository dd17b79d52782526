"""A REST ``DELETE ...?_cascade=delete`` frees the Slots of the Appointments it takes along,
as deleting each Appointment does (and as a Bundle's cascading delete does)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.scheduling.booked_slots import (
    ANN,
    BOB,
    DR,
    SCHEDULE,
    assert_freed_for_the_next,
    booked,
    slot_status,
)

pytestmark = pytest.mark.anyio


async def test_a_cascading_delete_frees_the_slots_of_the_appointments_it_deletes(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    first = await booked(client, slots[0], DR, ANN)
    second = await booked(client, slots[1], DR, ANN)
    kept = await booked(client, slots[2], DR, BOB)

    response = await client.delete(f"/fhir/{ANN}?_cascade=delete")

    assert response.status_code == 200, response.text
    for appointment in (first, second):
        assert (await client.get(f"/fhir/Appointment/{appointment['id']}")).status_code == 410
    await assert_freed_for_the_next(client, slots[0], first)
    await assert_freed_for_the_next(client, slots[1], second)
    assert (await slot_status(client, slots[2]))["status"] == "busy"
    assert (await client.get(f"/fhir/Appointment/{kept['id']}")).status_code == 200


async def test_a_cascade_that_deletes_the_slots_too_deletes_them(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    appointment = await booked(client, slots[0], DR, ANN)

    response = await client.delete(f"/fhir/{SCHEDULE}?_cascade=delete")

    assert response.status_code == 200, response.text
    for reference in (f"Slot/{slots[0]['id']}", f"Appointment/{appointment['id']}"):
        assert (await client.get(f"/fhir/{reference}")).status_code == 410, reference

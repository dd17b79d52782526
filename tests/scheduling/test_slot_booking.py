"""An Appointment that references a Slot makes it busy; cancelling, no-show or moving frees it."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
import pytest

from tests.released_together import released_together
from tests.scheduling.booked_slots import (
    ANN,
    BOB,
    DR,
    FREED_BY,
    assert_freed_for_the_next,
    booking,
    slot_status,
)
from tests.scheduling.booking import put_participant

pytestmark = pytest.mark.anyio


async def test_a_booking_makes_its_slot_busy(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    response = await client.post("/fhir/Appointment", json=booking(slots[0], DR, ANN))

    assert response.status_code == 201, response.text
    assert (await slot_status(client, slots[0]))["status"] == "busy"
    assert (await slot_status(client, slots[1]))["status"] == "free"


async def test_a_booking_without_times_takes_its_slots_times(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    appointment = booking(slots[0], DR, ANN)
    del appointment["start"], appointment["end"]

    response = await client.post("/fhir/Appointment", json=appointment)

    assert response.status_code == 201, response.text
    assert (response.json()["start"], response.json()["end"]) == (
        slots[0]["start"],
        slots[0]["end"],
    )


@pytest.mark.parametrize("status", ["cancelled", "noshow"])
async def test_cancelling_or_a_no_show_frees_the_slot(
    client: httpx.AsyncClient, slots: list[dict[str, Any]], status: str
) -> None:
    booked = (await client.post("/fhir/Appointment", json=booking(slots[0], DR, ANN))).json()

    booked["status"] = status
    response = await client.put(f"/fhir/Appointment/{booked['id']}", json=booked)

    assert response.status_code == 200, response.text
    slot = await slot_status(client, slots[0])
    assert slot["status"] == "free"
    freed_by = [e for e in slot.get("extension", []) if e["url"] == FREED_BY]
    expected = [{"url": FREED_BY, "valueReference": {"reference": f"Appointment/{booked['id']}"}}]
    assert freed_by == (expected if status == "cancelled" else [])


async def test_rescheduling_to_another_slot_frees_the_first(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    booked = (await client.post("/fhir/Appointment", json=booking(slots[0], DR, ANN))).json()

    moved = {**booking(slots[2], DR, ANN), "id": booked["id"]}
    response = await client.put(f"/fhir/Appointment/{booked['id']}", json=moved)

    assert response.status_code == 200, response.text
    assert (await slot_status(client, slots[0]))["status"] == "free"
    assert (await slot_status(client, slots[2]))["status"] == "busy"


async def test_a_busy_slot_cannot_be_booked_again_naming_the_slot(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    first = await client.post("/fhir/Appointment", json=booking(slots[0], ANN))
    assert first.status_code == 201, first.text

    response = await client.post("/fhir/Appointment", json=booking(slots[0], BOB))

    assert response.status_code == 409, response.text
    issue = response.json()["issue"][0]
    assert f"Slot/{slots[0]['id']}" in issue["diagnostics"]
    assert issue["expression"] == ["Appointment.slot[0]"]


async def test_a_freed_slot_can_be_booked_again(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    booked = (await client.post("/fhir/Appointment", json=booking(slots[0], ANN))).json()
    booked["status"] = "cancelled"
    assert (await client.put(f"/fhir/Appointment/{booked['id']}", json=booked)).status_code == 200

    response = await client.post("/fhir/Appointment", json=booking(slots[0], BOB))

    assert response.status_code == 201, response.text
    slot = await slot_status(client, slots[0])
    assert slot["status"] == "busy"
    assert "extension" not in slot


async def test_sixteen_concurrent_bookings_of_one_slot_book_one(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    patients = [f"Patient/slot-racer-{n}" for n in range(16)]
    for patient in patients:
        await put_participant(client, patient)
    calls = [
        partial(client.post, "/fhir/Appointment", json=booking(slots[1], patient))
        for patient in patients
    ]

    responses = await released_together(calls)

    assert sorted(r.status_code for r in responses) == [201] + [409] * 15, [
        r.text for r in responses if r.status_code not in {201, 409}
    ]
    booked = await client.get(
        "/fhir/Appointment", params={"slot": f"Slot/{slots[1]['id']}", "_total": "accurate"}
    )
    assert booked.json()["total"] == 1
    assert (await slot_status(client, slots[1]))["status"] == "busy"


async def test_a_transaction_entry_books_its_slot_too(
    client: httpx.AsyncClient, slots: list[dict[str, Any]], store_url: str
) -> None:
    if store_url.startswith("memory:"):
        pytest.skip("memory:// refuses transaction Bundles (no transactions)")
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": booking(slots[3], DR, ANN),
                "request": {"method": "POST", "url": "Appointment"},
            }
        ],
    }

    response = await client.post("/fhir", json=bundle)

    assert response.status_code == 200, response.text
    assert (await slot_status(client, slots[3]))["status"] == "busy"


async def test_deleting_a_booking_frees_its_slot_for_the_next(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    booked = (await client.post("/fhir/Appointment", json=booking(slots[0], DR, ANN))).json()

    deleted = await client.delete(f"/fhir/Appointment/{booked['id']}")

    assert deleted.status_code in {200, 204}, deleted.text
    await assert_freed_for_the_next(client, slots[0], booked)


@pytest.mark.parametrize("kind", ["transaction", "batch"])
async def test_deleting_a_booking_in_a_bundle_frees_its_slot_for_the_next(
    client: httpx.AsyncClient, slots: list[dict[str, Any]], store_url: str, kind: str
) -> None:
    if kind == "transaction" and store_url.startswith("memory:"):
        pytest.skip("memory:// refuses transaction Bundles (no transactions)")
    booked = (await client.post("/fhir/Appointment", json=booking(slots[0], DR, ANN))).json()
    bundle = {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"request": {"method": "DELETE", "url": f"Appointment/{booked['id']}"}}],
    }

    response = await client.post("/fhir", json=bundle)

    assert response.status_code == 200, response.text
    assert response.json()["entry"][0]["response"]["status"].startswith("204")
    await assert_freed_for_the_next(client, slots[0], booked)

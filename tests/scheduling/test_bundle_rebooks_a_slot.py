"""A transaction that deletes a booking and books its Slot again sees its own delete
(http.html#trules: DELETE before POST, PUT and PATCH); one that books a Slot twice does not
get it twice."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.scheduling.booked_slots import ANN, BOB, DR, booked, booking, slot_status
from tests.transactions.conftest import bundle, entry, post_bundle, transaction

pytestmark = pytest.mark.anyio


async def booked_in(client: httpx.AsyncClient, slot: dict[str, Any]) -> list[str]:
    """The ids of the current Appointments that reference ``slot``."""
    response = await client.get("/fhir/Appointment", params={"slot": f"Slot/{slot['id']}"})
    assert response.status_code == 200, response.text
    return [e["resource"]["id"] for e in response.json().get("entry", [])]


def refused_without_transactions(response: httpx.Response, store_url: str) -> bool:
    """memory:// refuses a transaction whole (400 not-supported): True if it did."""
    if not store_url.startswith("memory:"):
        return False
    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["code"] == "not-supported"
    return True


@pytest.mark.parametrize("verb", ["POST", "PUT"])
async def test_deleting_a_booking_and_booking_its_slot_again_books_the_new_one(
    client: httpx.AsyncClient, slots: list[dict[str, Any]], store_url: str, verb: str
) -> None:
    old = await booked(client, slots[0], DR, ANN)
    new = booking(slots[0], DR, BOB)
    url = "Appointment"
    if verb == "PUT":
        new["id"] = "rebooked"
        url = "Appointment/rebooked"

    response = await post_bundle(
        client,
        transaction(
            entry(verb, url, new),  # listed first: the DELETE still goes before it
            entry("DELETE", f"Appointment/{old['id']}"),
        ),
    )

    if refused_without_transactions(response, store_url):
        assert await booked_in(client, slots[0]) == [old["id"]]
        return
    assert response.status_code == 200, response.text
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert [status.split()[0] for status in statuses] == ["201", "204"]
    new_id = response.json()["entry"][0]["response"]["location"].split("/")[-3]
    assert await booked_in(client, slots[0]) == [new_id]
    assert (await slot_status(client, slots[0]))["status"] == "busy"
    again = await client.post("/fhir/Appointment", json=booking(slots[0], ANN))
    assert again.status_code == 409, again.text
    assert f"Appointment/{new_id}" in again.json()["issue"][0]["diagnostics"]


async def test_a_transaction_booking_one_slot_twice_is_refused(
    client: httpx.AsyncClient, slots: list[dict[str, Any]], store_url: str
) -> None:
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Appointment", booking(slots[1], ANN)),
            entry("POST", "Appointment", booking(slots[1], BOB)),
        ),
    )

    if refused_without_transactions(response, store_url):
        return
    assert response.status_code == 409, response.text
    assert f"Slot/{slots[1]['id']}" in response.json()["issue"][0]["diagnostics"]
    assert await booked_in(client, slots[1]) == []
    assert (await slot_status(client, slots[1]))["status"] == "free"


async def test_deleting_a_booking_and_booking_its_slot_twice_is_refused(
    client: httpx.AsyncClient, slots: list[dict[str, Any]], store_url: str
) -> None:
    old = await booked(client, slots[2], DR, ANN)

    response = await post_bundle(
        client,
        transaction(
            entry("DELETE", f"Appointment/{old['id']}"),
            entry("POST", "Appointment", booking(slots[2], ANN)),
            entry("POST", "Appointment", booking(slots[2], BOB)),
        ),
    )

    if refused_without_transactions(response, store_url):
        return
    assert response.status_code == 409, response.text
    assert await booked_in(client, slots[2]) == [old["id"]]
    assert (await slot_status(client, slots[2]))["status"] == "busy"


async def test_a_batch_that_deletes_a_booking_then_books_its_slot_books_the_new_one(
    client: httpx.AsyncClient, slots: list[dict[str, Any]]
) -> None:
    old = await booked(client, slots[3], DR, ANN)

    response = await post_bundle(
        client,
        bundle(
            "batch",
            entry("DELETE", f"Appointment/{old['id']}"),
            entry("POST", "Appointment", booking(slots[3], DR, BOB)),
        ),
    )

    assert response.status_code == 200, response.text
    answers = [e["response"] for e in response.json()["entry"]]
    assert [a["status"].split()[0] for a in answers] == ["204", "201"], answers
    new_id = answers[1]["location"].split("/")[-3]
    assert await booked_in(client, slots[3]) == [new_id]
    assert (await slot_status(client, slots[3]))["status"] == "busy"


async def test_a_transaction_moves_another_booking_into_the_slot_it_frees(
    client: httpx.AsyncClient, slots: list[dict[str, Any]], store_url: str
) -> None:
    leaving = await booked(client, slots[0], DR, ANN)
    moving = await booked(client, slots[1], DR, BOB)
    moved = {**booking(slots[0], DR, BOB), "id": moving["id"]}

    response = await post_bundle(
        client,
        transaction(
            entry("PUT", f"Appointment/{moved['id']}", moved),
            entry("DELETE", f"Appointment/{leaving['id']}"),
        ),
    )

    if refused_without_transactions(response, store_url):
        return
    assert response.status_code == 200, response.text
    assert await booked_in(client, slots[0]) == [moved["id"]]
    assert await booked_in(client, slots[1]) == []
    assert [(await slot_status(client, s))["status"] for s in slots[:2]] == ["busy", "free"]

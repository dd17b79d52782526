"""Deleting a booking lets its exclusive keys go (its participants' minutes, its Slots), by
``DELETE``, by a cascade that takes it along, or by a Bundle's DELETE entry: none is left
held by a resource that no longer exists."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from server.fhir.clock import parse_instant
from server.storage.port import Holds, Method
from server.versions import next_version
from tests.merge.race import ER7
from tests.scheduling.booked_slots import ANN, DR, booking
from tests.scheduling.test_ingested_bookings import DR as SIU_DR
from tests.scheduling.test_ingested_bookings import START, siu
from tests.transactions.conftest import bundle, entry, post_bundle

pytestmark = pytest.mark.anyio


async def delete(client: httpx.AsyncClient, how: str, appointment_id: str) -> None:
    if how == "delete":
        answer = await client.delete(f"/fhir/Appointment/{appointment_id}")
        assert answer.status_code == 204, answer.text
    elif how == "cascade":
        answer = await client.delete(f"/fhir/{ANN}?_cascade=delete")
        assert answer.status_code == 200, answer.text
    else:
        answer = await post_bundle(
            client, bundle(how, entry("DELETE", f"Appointment/{appointment_id}"))
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["entry"][0]["response"]["status"].startswith("204"), answer.text


@pytest.mark.parametrize("how", ["delete", "cascade", "transaction", "batch"])
async def test_a_deleted_bookings_keys_are_free(
    client: httpx.AsyncClient, slots: list[dict[str, Any]], store_url: str, how: str
) -> None:
    if how == "transaction" and store_url.startswith("memory:"):
        pytest.skip("memory:// refuses transaction Bundles (no transactions)")
    booked = await client.post("/fhir/Appointment", json=booking(slots[0], DR, ANN))
    assert booked.status_code == 201, booked.text

    await delete(client, how, booked.json()["id"])

    minute = parse_instant(slots[0]["start"]) // 60_000_000
    await probe(client, {f"{DR}@{minute}", f"{ANN}@{minute + 5}", f"slot|Slot/{slots[0]['id']}"})


async def probe(client: httpx.AsyncClient, keys: set[str]) -> None:
    """Store an Appointment holding ``keys`` straight through the store, taking over no
    one: HoldTaken unless no resource holds them any more."""
    service = client.app.state.service  # type: ignore[attr-defined]
    body = {"resourceType": "Appointment", "id": "probe", "status": "booked"}
    write = next_version("Appointment", "probe", None, body, Method.PUT, service.indexer)
    await service.store.write([replace(write, holds=Holds(frozenset(keys)))])


async def test_an_siu_deletion_lets_the_bookings_keys_go(client: httpx.AsyncClient) -> None:
    for control_id, event in (("S12-HOLDS", "S12"), ("S17-HOLDS", "S17")):
        answer = await client.post(
            "/fhir/$hl7v2-ingest", content=siu(event, control_id), headers=ER7
        )
        assert answer.status_code == 200, answer.text
        assert "applied (ACK AA)" in answer.text, answer.text

    minute = parse_instant(START) // 60_000_000
    await probe(client, {f"{SIU_DR}@{minute + 5}"})


async def test_any_delete_marker_lets_its_resources_keys_go(client: httpx.AsyncClient) -> None:
    """The store's own rule, whatever the type and the path that deletes."""
    service = client.app.state.service  # type: ignore[attr-defined]
    body = {"resourceType": "Basic", "id": "holder", "code": {"text": "holds a key"}}
    created = next_version("Basic", "holder", None, body, Method.PUT, service.indexer)
    await service.store.write([replace(created, holds=Holds(frozenset({"any|key"})))])
    stored = await service.store.read("Basic", "holder")

    marker = next_version("Basic", "holder", stored, None, Method.DELETE, service.indexer)
    await service.store.write([marker])

    assert marker.holds == Holds(frozenset())
    await probe(client, {"any|key"})

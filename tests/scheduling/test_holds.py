"""Exclusive holds at the store (server.storage.port.Holds), on every store."""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.storage.port import Holds, HoldTaken, Store, Write
from tests.direct_store import indexed

pytestmark = pytest.mark.anyio


def booking(resource_id: str, keys: set[str], version: int = 1, **holds: frozenset[str]) -> Write:
    body = {"resourceType": "Appointment", "id": resource_id, "status": "booked"}
    return replace(indexed(body, version), holds=Holds(frozenset(keys), **holds))


async def test_a_key_held_by_another_resource_refuses_the_write(store: Store) -> None:
    await store.write([booking("a", {"dr@09:00", "dr@09:01"})])

    with pytest.raises(HoldTaken) as taken:
        await store.write([booking("b", {"dr@09:01", "dr@09:02"})])

    assert (taken.value.key, taken.value.holder) == ("dr@09:01", "Appointment/a")
    assert await store.read("Appointment", "b") is None


async def test_keys_left_by_a_new_version_are_free_again(store: Store) -> None:
    await store.write([booking("a", {"dr@09:00", "dr@09:01"})])
    await store.write([booking("a", set(), version=2)])

    await store.write([booking("b", {"dr@09:00"})])

    assert await store.read("Appointment", "b") is not None


async def test_a_replaceable_holder_is_taken_over(store: Store) -> None:
    await store.write([booking("a", {"dr@09:00", "dr@09:01"})])

    await store.write([booking("b", {"dr@09:01"}, replaceable=frozenset({"Appointment/a"}))])

    with pytest.raises(HoldTaken) as taken:
        await store.write([booking("c", {"dr@09:01"})])
    assert taken.value.holder == "Appointment/b"
    with pytest.raises(HoldTaken) as kept:
        await store.write([booking("d", {"dr@09:00"})])
    assert kept.value.holder == "Appointment/a"


async def test_a_write_without_holds_keeps_the_resources_keys(store: Store) -> None:
    await store.write([booking("a", {"dr@09:00"})])
    body = {"resourceType": "Appointment", "id": "a", "status": "booked"}
    await store.write([indexed(body, 2)])

    with pytest.raises(HoldTaken):
        await store.write([booking("b", {"dr@09:00"})])

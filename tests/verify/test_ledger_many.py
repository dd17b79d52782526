"""The ledger read many entries at once (what ``hl7 verify`` reads per batch), on every store."""

from __future__ import annotations

import pytest

from server.storage.port import LedgerEntry, Store

pytestmark = pytest.mark.anyio


def entry(sender: str, control_id: str, outcome: str = "applied") -> LedgerEntry:
    return LedgerEntry(
        sender=sender,
        control_id=control_id,
        received=1,
        message_type="ADT^A08",
        event_time=2,
        outcome=outcome,
        raw=f"MSH|^~\\&|{control_id}".encode(),
        touched=(f"Patient/{control_id}/_history/1",),
    )


async def test_every_key_asked_for_is_answered(store: Store) -> None:
    for item in (entry("A|B", "1"), entry("A|B", "2", "failed"), entry("C|D", "1")):
        await store.write([], item)
    keys = [("A|B", "1"), ("A|B", "2"), ("C|D", "1"), ("A|B", "3"), ("C|D", "2")]

    found = await store.ledger_get_many(keys)

    assert list(found) == keys
    assert found[("A|B", "1")] == entry("A|B", "1")
    assert found[("A|B", "2")] == entry("A|B", "2", "failed")
    assert found[("C|D", "1")] == entry("C|D", "1")
    assert found[("A|B", "3")] is None
    assert found[("C|D", "2")] is None


async def test_many_keys_at_once(store: Store) -> None:
    for number in range(450):
        await store.write([], entry("A|B", str(number)))

    found = await store.ledger_get_many([("A|B", str(n)) for n in range(900)])

    assert sum(1 for e in found.values() if e is not None) == 450
    assert await store.ledger_get_many([]) == {}

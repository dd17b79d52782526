"""A refused hold leaves the SQLite writer able to write after another process has."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from server.storage.port import Holds, HoldTaken
from server.storage.sqlite.store import SqliteStore
from tests.direct_store import indexed, opened_sqlite

pytestmark = pytest.mark.anyio


def holding(resource_id: str, minute: int) -> object:
    """A booking holding three minutes from ``minute`` (a refusal meets several keys)."""
    body = {"resourceType": "Appointment", "id": resource_id, "status": "booked"}
    keys = frozenset(f"dr@{minute + n}" for n in range(3))
    return replace(indexed(body), holds=Holds(keys))


async def test_a_refused_hold_does_not_keep_the_writer_in_an_old_snapshot(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    await sqlite_store.write([holding("a", 0)])  # type: ignore[list-item]
    # Held, as a booking holds the refusal while it settles and tries again.
    with pytest.raises(HoldTaken) as refused:
        await sqlite_store.write([holding("b", 0)])  # type: ignore[list-item]
    async with opened_sqlite(tmp_path / "sqlite-only.sqlite3") as other_process:
        await other_process.write([holding("c", 10)])  # type: ignore[list-item]

    await sqlite_store.write([holding("d", 20)])  # type: ignore[list-item]

    assert refused.value.holder == "Appointment/a"

    assert await sqlite_store.read("Appointment", "d") is not None

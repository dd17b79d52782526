"""Reads by id on SQLite: those asked for in one event-loop turn share one reader hop.

Concurrent requests each read one resource; handing each read to a reader thread on its
own cost more than the lookup. Coalesced, they still answer exactly what a read alone
answers (a missing id None, a deleted resource its deletion), and a read asked for after
a write committed sees it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.search.extract import extract_index
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.store import SqliteStore
from server.versions import stamp
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


def _write(resource_id: str, version: int = 1, *, deleted: bool = False) -> Write:
    resource = make_patient()
    body = stamp(resource, resource_id, version, 1_780_000_000_000_000 + version)
    if deleted:
        stored = StoredVersion("Patient", resource_id, version, 1, Method.DELETE, None)
        return Write(stored, version - 1, None)
    stored = StoredVersion("Patient", resource_id, version, 1, Method.PUT, body)
    return Write(stored, version - 1, extract_index(resource, base_urls=("http://x/fhir",)))


def _counting(store: SqliteStore) -> list[int]:
    """Count the reader hops of reads by key ``store`` makes from now on."""
    hops: list[int] = []
    run = store.key_reader.run

    async def counted(fn: Callable[[Any], Any]) -> Any:
        hops.append(1)
        return await run(fn)

    store.key_reader.run = counted  # type: ignore[method-assign]
    return hops


async def test_reads_of_one_turn_share_one_hop_and_answer_as_alone(store: SqliteStore) -> None:
    await store.write([_write(f"p{n}") for n in range(20)])
    await store.write([_write("p3", 2, deleted=True)])
    hops = _counting(store)

    found = await asyncio.gather(*(store.read("Patient", f"p{n}") for n in range(25)))

    assert len(hops) == 1
    assert [v.id if v else None for v in found] == [f"p{n}" for n in range(20)] + [None] * 5
    assert found[3] is not None
    assert found[3].deleted
    assert all(v is not None and not v.deleted for n, v in enumerate(found[:20]) if n != 3)


async def test_a_read_after_a_committed_write_sees_it(store: SqliteStore) -> None:
    await store.write([_write("p1")])

    async def write_then_read() -> StoredVersion | None:
        await store.write([_write("p1", 2)])
        return await store.read("Patient", "p1")

    reads = [store.read("Patient", "p1") for _ in range(5)]
    *_, after = await asyncio.gather(*reads, write_then_read())

    assert after is not None
    assert after.version == 2


async def test_reads_by_key_of_overlapping_turns_share_one_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A commit empties every reader connection's page cache: reads by key spread over
    # several connections each fill their own again.
    store = SqliteStore(tmp_path / "keyed.sqlite3")
    opened: list[bool] = []
    connect = store._connect

    def counted(*, read_only: bool) -> sqlite3.Connection:
        opened.append(read_only)
        return connect(read_only=read_only)

    monkeypatch.setattr(store, "_connect", counted)
    await store.open()
    try:
        await store.write([_write(f"p{n}") for n in range(8)])
        opened.clear()

        async def read_later(turns: int) -> StoredVersion | None:
            for _ in range(turns):
                await asyncio.sleep(0)
            return await store.read("Patient", f"p{turns % 8}")

        found = await asyncio.gather(*(read_later(n % 16) for n in range(64)))
    finally:
        await store.close()

    assert all(v is not None for v in found)
    assert opened == [True]

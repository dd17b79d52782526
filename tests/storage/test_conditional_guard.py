"""The conditional-write guard, on every store: one claim per key, taken over by CAS only."""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path

import pytest

from server.storage.port import Guard, GuardTaken, Store, VersionConflict, Write
from server.storage.sqlite.schema import apply_schema
from tests.direct_store import opened_sqlite
from tests.released_together import released_together
from tests.storage.test_store_port import entries, version

pytestmark = pytest.mark.anyio

KEY = "a" * 64


def claiming(resource_id: str, expected_holder: str | None, key: str = KEY) -> Write:
    """Version 1 of a new Patient that claims ``key`` from ``expected_holder``."""
    return Write(version(resource_id, 1, 100), 0, entries(), Guard(key, expected_holder))


async def holder_of(store: Store, key: str = KEY) -> str | None:
    """Who holds ``key``, as a claim expecting no holder finds it."""
    with pytest.raises(GuardTaken) as taken:
        await store.write([claiming("probe", None, key)])
    assert await store.read("Patient", "probe") is None
    return taken.value.holder


async def test_a_free_key_is_claimed_with_its_resource(store: Store) -> None:
    await store.write([claiming("a", None)])

    assert await store.read("Patient", "a") is not None
    assert await holder_of(store) == "a"


async def test_a_taken_key_refuses_the_claim_and_its_resource(store: Store) -> None:
    await store.write([claiming("a", None)])

    with pytest.raises(GuardTaken) as taken:
        await store.write([claiming("b", None)])

    assert taken.value.holder == "a"
    assert await store.read("Patient", "b") is None
    assert await store.count("Patient") == 1


async def test_the_holder_named_is_replaced_by_compare_and_swap(store: Store) -> None:
    await store.write([claiming("a", None)])

    await store.write([claiming("b", "a")])
    with pytest.raises(GuardTaken) as stale:
        await store.write([claiming("c", "a")])

    assert stale.value.holder == "b"
    assert await store.read("Patient", "c") is None
    assert await holder_of(store) == "b"


async def test_keys_are_independent(store: Store) -> None:
    await store.write([claiming("a", None, "1" * 64)])
    await store.write([claiming("b", None, "2" * 64)])

    assert await holder_of(store, "1" * 64) == "a"
    assert await holder_of(store, "2" * 64) == "b"


async def test_a_guarded_update_of_an_existing_resource_claims_too(store: Store) -> None:
    await store.write([Write(version("a", 1, 100), 0, entries())])

    await store.write([Write(version("a", 2, 200), 1, entries(), Guard(KEY, None))])

    assert await holder_of(store) == "a"


async def test_a_write_that_fails_its_version_check_leaves_the_key_as_it_was(
    store: Store,
) -> None:
    await store.write([claiming("a", None)])
    await store.write([Write(version("b", 1, 100), 0, entries())])

    with pytest.raises(VersionConflict):
        await store.write([claiming("b", "a")])  # b exists: version 0 is wrong
    with pytest.raises(VersionConflict):
        await store.write([claiming("b", None, "3" * 64)])

    assert await holder_of(store) == "a"
    await store.write([claiming("c", None, "3" * 64)])  # still free


async def _claim(store: Store, resource_id: str, key: str) -> str | None:
    """Claim ``key`` for a new resource; None if it won, else the holder it lost to."""
    try:
        await store.write([claiming(resource_id, None, key)])
    except GuardTaken as taken:
        return taken.holder
    return None


async def test_concurrent_claims_of_one_key_let_exactly_one_win(store: Store) -> None:
    for round_number in range(5):
        key = f"{round_number}" * 64
        ids = [f"r{round_number}-{n}" for n in range(16)]

        outcomes = await released_together([partial(_claim, store, i, key) for i in ids])

        winners = [i for i, holder in zip(ids, outcomes, strict=True) if holder is None]
        assert len(winners) == 1, f"round {round_number}"
        assert {holder for holder in outcomes if holder is not None} == set(winners)
        assert await store.count("Patient") == round_number + 1


async def test_an_older_sqlite_database_gets_the_guard_table_on_open(tmp_path: Path) -> None:
    path = tmp_path / "older.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    apply_schema(conn)
    conn.execute("DROP TABLE conditional_guard")  # as written before it existed
    conn.close()

    async with opened_sqlite(path) as store:
        await store.write([claiming("a", None)])
        assert await holder_of(store) == "a"

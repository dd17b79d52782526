"""The pages an AuditEvent batch writes on SQLite: few link index leaves per event.

An access event about a patient has two links naming it (the patient as ``entity`` and
as ``patient``). Keyed by the value and then the event, the two sit side by side in the
link index, so an event dirties one leaf of it, not two far apart; keyed first by the
event's bucket, a batch's links go to the leaves of the newest bucket, not to a random
leaf each of an index as large as the store: at several hundred thousand events those
random leaves were most of what each audited read wrote (server.storage.sqlite.audit).
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from server.audit.events import Access, EventBuilder
from server.search.engine import SearchEngine
from server.storage.sqlite.audit import LINK_BUCKET_BITS, LINK_INDEX
from server.storage.sqlite.audit_where import OWN_LINKS
from server.storage.sqlite.store import SqliteStore
from tests.audit.test_append import BASES, event

pytestmark = pytest.mark.anyio

_PATIENTS = 4000
_BATCH = 50


def _access(n: int, patient: int) -> Access:
    """A read of one patient (as the bench reads them: the Patient resource itself)."""
    return replace(event(n), entities=(f"Patient/{patient:021x}",), patients=())


def _wal_frames(path: Path) -> list[int]:
    """The page numbers of the frames in the WAL file of ``path``."""
    data = (path.parent / f"{path.name}-wal").read_bytes()
    return [
        int.from_bytes(data[offset : offset + 4], "big")
        for offset in range(32, len(data) - 24, 24 + 4096)
    ]


def _link_index_pages(path: Path, pages: set[int]) -> int:
    """How many of ``pages`` belong to an index on ``audit_link``."""
    with sqlite3.connect(path) as conn:
        indexes = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_link'"
            )
        }
        return sum(
            1
            for name, page in conn.execute("SELECT name, pageno FROM dbstat")
            if page in pages and name in indexes
        )


async def _stored_and_checkpointed(
    store: SqliteStore,
    builder: EventBuilder,
    rng: random.Random,
    at_least: int,
    patients: int,
    chunk: int,
) -> int:
    """Store read events of random patients in chunks until ``at_least`` are stored, then
    checkpoint, so that the WAL holds only what is written next; how many were stored."""
    stored = 0
    while stored < at_least:
        await store.append(
            [
                builder.write(_access(stored + i, rng.randrange(patients)), f"ev{stored + i}")
                for i in range(chunk)
            ]
        )
        stored += chunk
    with sqlite3.connect(store.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return stored


async def test_a_batch_writes_about_one_link_leaf_per_event(sqlite_store: SqliteStore) -> None:
    store = sqlite_store
    builder = EventBuilder(BASES[0], BASES)
    shuffled = random.Random(13)
    stored = await _stored_and_checkpointed(store, builder, shuffled, 8000, _PATIENTS, 1000)

    patients = shuffled.sample(range(_PATIENTS), _BATCH)
    await store.append(
        [builder.write(_access(stored + i, p), f"ev{stored + i}") for i, p in enumerate(patients)]
    )

    written = _link_index_pages(store.path, set(_wal_frames(store.path)))
    # Two far-apart leaves an event would be twice _BATCH.
    assert written <= 1.5 * _BATCH, f"{written} link index pages for {_BATCH} events"


async def test_a_batch_past_the_first_buckets_writes_few_link_leaves(
    sqlite_store: SqliteStore,
) -> None:
    store = sqlite_store
    builder = EventBuilder(BASES[0], BASES)
    shuffled = random.Random(17)
    patients = 5 * _PATIENTS  # links of this many values fill many more leaves than a batch
    bucket = 1 << LINK_BUCKET_BITS
    stored = await _stored_and_checkpointed(
        store, builder, shuffled, 2 * bucket + bucket // 2, patients, 2048
    )

    batch = 8 * _BATCH
    await store.append(
        [
            builder.write(_access(stored + i, p), f"ev{stored + i}")
            for i, p in enumerate(shuffled.sample(range(patients), batch))
        ]
    )

    written = _link_index_pages(store.path, set(_wal_frames(store.path)))
    assert written <= 0.4 * batch, f"{written} link index pages for {batch} events"


async def _ids(store: SqliteStore, *params: tuple[str, str]) -> list[str]:
    engine = SearchEngine(store, BASES)
    query = engine.parse("AuditEvent", [*params, ("_count", "100")], lenient=False)
    return sorted(v.id for v in (await engine.run(query)).page.versions)


async def test_an_older_link_index_is_replaced_on_open_and_finds_the_same_events(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite3"
    builder = EventBuilder(BASES[0], BASES)
    older = SqliteStore(path)
    await older.open()
    await older.append([builder.write(_access(n, n % 4), f"ev{n}") for n in range(12)])
    await older.close()
    with sqlite3.connect(path) as conn:  # as fhirport indexed links before
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_link' "
            "AND name <> 'audit_link_aid'"
        ).fetchall():
            conn.execute(f"DROP INDEX {name}")
        conn.execute("CREATE INDEX audit_link_value ON audit_link (p, code, aid)")
        conn.execute("CREATE INDEX audit_link_code ON audit_link (code, aid, p)")
        conn.execute("CREATE INDEX audit_link_bucket ON audit_link ((aid >> 13), code, aid, p)")
        conn.execute("CREATE INDEX audit_link_b15 ON audit_link ((aid >> 15), code, aid, p)")

    store = SqliteStore(path)
    await store.open()
    try:
        by_patient = await _ids(store, ("patient", f"Patient/{1:021x}"))
        by_entity = await _ids(store, ("entity", f"Patient/{2:021x}"), ("subtype", "read"))

        def plan(conn: sqlite3.Connection) -> tuple[set[str], str]:
            indexes = {
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'audit_link'"
                )
            }
            steps = conn.execute(
                f"EXPLAIN QUERY PLAN SELECT e.aid FROM audit_event e WHERE {OWN_LINKS} "
                "AND code = ?)",
                ("patient", "x"),
            ).fetchall()
            return indexes, " ".join(str(step[3]) for step in steps)

        indexes, steps = await store.readers.run(plan)
    finally:
        await store.close()

    assert by_patient == ["ev1", "ev5", "ev9"]
    assert by_entity == ["ev10", "ev2", "ev6"]
    assert (
        not {"audit_link_value", "audit_link_code", "audit_link_bucket", "audit_link_b15"} & indexes
    )
    assert f"INDEX {LINK_INDEX} (<expr>=? AND code=?)" in steps


async def test_readers_do_not_map_the_database(sqlite_store: SqliteStore) -> None:
    # Every commit has each reader drop its mapping of the file and fault it in again
    # (SQLite unmaps on a changed WAL): under audited reads, a commit every flush.
    mapped = await sqlite_store.readers.run(
        lambda conn: conn.execute("PRAGMA mmap_size").fetchone()[0]
    )

    assert mapped == 0

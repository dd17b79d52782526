"""The group commit of read audits: one flush, however many chunks, is one store commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.audit import AuditTrail
from server.audit.events import EventBuilder
from server.search.engine import SearchEngine
from server.storage.sqlite.store import SqliteStore
from tests.audit.test_append import BASES, event

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "store.sqlite3")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_a_flush_of_several_chunks_is_one_commit(sqlite: SqliteStore) -> None:
    trail = AuditTrail(sqlite, EventBuilder(BASES[0], BASES))
    queued = 3 * 256 + 10  # four chunks
    for n in range(queued):
        trail.record(event(n))
    stats = sqlite.commit_stats
    assert stats is not None
    before = stats.commits

    flushed = await trail.flush()

    assert flushed == queued
    assert stats.commits - before == 1
    engine = SearchEngine(sqlite, BASES)
    found = await engine.run(engine.parse("AuditEvent", [("_total", "accurate")], lenient=False))
    assert found.page.total == queued

"""Driving a store without the API: indexed writes, searches, a SQLite file reopened.

For tests of what sits under the REST layer (index tables, caches, schema upgrades).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.port import Method, Store, StoredVersion, Write
from server.storage.sqlite.store import SqliteStore


def indexed(body: dict[str, Any], version: int = 1) -> Write:
    """Version ``version`` of ``body`` (expecting the one before), with its index entries."""
    stored = StoredVersion(body["resourceType"], body["id"], version, 0, Method.PUT, b"{}")
    return Write(stored, version - 1, extract_index(body, base_urls=()))


async def search_ids(store: Store, resource_type: str, query: str) -> list[str]:
    """The ids a search matches, sorted (strict: an unknown parameter fails)."""
    engine = SearchEngine(store, ())
    result = await engine.run(engine.parse(resource_type, parse_qsl(query), lenient=False))
    return sorted(v.id for v in result.page.versions)


@asynccontextmanager
async def opened_sqlite(path: Path) -> AsyncIterator[SqliteStore]:
    """The SQLite store at ``path``, open for the block."""
    store = SqliteStore(path)
    await store.open()
    try:
        yield store
    finally:
        await store.close()

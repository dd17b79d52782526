"""A search whose rarest clause is not the kind ranked most selective is driven by it.

``Appointment?status=waitlist&practitioner=X`` (the waitlist's question when a booking
is cancelled) finds nothing on the waitlist, and must find that out without visiting
each of the practitioner's appointments: its cost may not grow with them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from server.search.extract import extract_index
from server.search.parse import parse_search
from server.search.query import SearchQuery
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.planner import compile_search
from server.storage.sqlite.store import SqliteStore
from tests.search.conftest import appointment

pytestmark = pytest.mark.anyio

_EVERY = 100  # SQLite virtual machine instructions per progress tick


def _visits(count: int, status: str, first: int = 0) -> list[Write]:
    writes = []
    for n in range(first, first + count):
        day = f"2024-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}"
        body = appointment(
            id=f"{status}-{n}",
            status=status,
            start=f"{day}T09:00:00Z",
            end=f"{day}T09:30:00Z",
            participant=[
                {"actor": {"reference": "Practitioner/pr1"}, "status": "accepted"},
                {"actor": {"reference": f"Patient/p{n}"}, "status": "accepted"},
            ],
        )
        body["meta"] = {"versionId": "1", "lastUpdated": "2024-05-01T00:00:00Z"}
        version = StoredVersion("Appointment", body["id"], 1, 0, Method.PUT, b"{}")
        writes.append(Write(version, 0, extract_index(body, base_urls=())))
    return writes


async def _ticks_and_ids(store: SqliteStore, query: str) -> tuple[int, list[int]]:
    """SQLite's work on the search's page, in progress ticks, and the rids it found."""
    parsed = parse_search("Appointment", parse_qsl(query), ())
    search = SearchQuery("Appointment", tuple(parsed.clauses), (), 20)

    def run(conn: sqlite3.Connection) -> tuple[int, list[int]]:
        ticks = [0]

        def tick() -> int:
            ticks[0] += 1
            return 0

        conn.set_progress_handler(tick, _EVERY)
        try:
            compiled = compile_search(conn, store._read_keys, search)
            rows = conn.execute(str(compiled.page), compiled.page.args).fetchall()
        finally:
            conn.set_progress_handler(None, 0)
        return ticks[0], [int(row[6]) for row in rows]

    return await store.readers.run(run)


async def _store(path: Path, booked: int, waiting: int) -> SqliteStore:
    store = SqliteStore(path)
    await store.open()
    await store.write(_visits(booked, "booked") + _visits(waiting, "waitlist", booked))
    return store


@pytest.mark.parametrize("waiting", [0, 3])
async def test_a_rare_status_drives_however_many_appointments_the_practitioner_has(
    tmp_path: Path, waiting: int
) -> None:
    query = "status=waitlist&practitioner=Practitioner/pr1,Practitioner/pr2"
    ticks: dict[int, int] = {}
    for booked in (300, 1200):
        store = await _store(tmp_path / f"{booked}.sqlite3", booked, waiting)
        try:
            ticks[booked], found = await _ticks_and_ids(store, query)
        finally:
            await store.close()
        assert len(found) == waiting

    # Choosing the driver counts up to a bound, whatever the practitioner's total.
    assert ticks[1200] < 1.25 * ticks[300] + 5, ticks


async def test_a_common_status_still_finds_every_match(tmp_path: Path) -> None:
    store = await _store(tmp_path / "common.sqlite3", 30, 2)
    try:
        _, booked = await _ticks_and_ids(store, "status=booked&practitioner=Practitioner/pr1")
        _, waiting = await _ticks_and_ids(store, "practitioner=Practitioner/pr1&status=waitlist")
    finally:
        await store.close()

    assert len(booked) == 21  # a page of them, and one more to tell there is a next
    assert len(waiting) == 2

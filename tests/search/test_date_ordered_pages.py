"""Pages sorted by the date they are restricted by: read in date order, stopped at the page.

``Appointment?date=D&_sort=date`` reads the day's sort rows in order and stops after
the page instead of sorting every appointment of the day; the pages (their order, ties
included, both directions) must be the ones the sorting plan gives.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from server.search.extract import extract_index
from server.search.parse import parse_search
from server.search.query import SearchQuery
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.index import ParamKeys
from server.storage.sqlite.paging import to_page
from server.storage.sqlite.planner import compile_search
from server.storage.sqlite.store import SqliteStore
from tests.direct_store import opened_sqlite
from tests.search.conftest import appointment

pytestmark = pytest.mark.anyio

# Few distinct times over three days: many appointments share a start (ties on the
# sort value), some sit on a day's edges or carry an offset that moves them a day.
_STARTS = [
    "2024-03-01T09:00:00Z",
    "2024-03-01T23:59:59Z",
    "2024-03-02T00:00:00Z",
    "2024-03-02T09:00:00Z",
    "2024-03-02T09:00:00Z",
    "2024-03-02T09:15:00Z",
    "2024-03-02T23:30:00-05:00",
    "2024-03-03T01:00:00+05:00",
    "2024-03-03T09:00:00Z",
]
_PATIENTS = ["Patient/alvarez", "Patient/smith"]


def _version(body: dict[str, Any], version: int) -> Write:
    stamped = {**body, "meta": {"versionId": str(version), "lastUpdated": "2024-05-01T00:00:00Z"}}
    stored = StoredVersion(body["resourceType"], body["id"], version, 0, Method.PUT, b"{}")
    return Write(stored, version - 1, extract_index(stamped, base_urls=()))


def _appointments(rng: random.Random) -> list[dict[str, Any]]:
    return [
        appointment(
            id=f"a{i}",
            status=rng.choice(("booked", "cancelled")),
            start=rng.choice(_STARTS),
            participant=[{"actor": {"reference": rng.choice(_PATIENTS)}, "status": "accepted"}],
        )
        for i in range(90)
    ]


def _encounter(i: int, starts: list[str]) -> dict[str, Any]:
    """An Encounter at several locations: ``location-period`` has several values."""
    return {
        "resourceType": "Encounter",
        "id": f"e{i}",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "location": [
            {"location": {"reference": "Location/l1"}, "period": {"start": start}}
            for start in starts
        ],
    }


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    rng = random.Random(18)
    async with opened_sqlite(tmp_path / "ordered.sqlite3") as opened:
        bodies = _appointments(rng)
        bodies += [_encounter(i, rng.sample(_STARTS, rng.randint(1, 3))) for i in range(30)]
        await opened.write([_version(body, 1) for body in bodies])
        # Moved to another time (their sort rows replaced), and gone (their rows removed).
        moved = [{**body, "start": rng.choice(_STARTS)} for body in bodies[10:20]]
        await opened.write([_version(body, 2) for body in moved])
        gone = [
            Write(StoredVersion("Appointment", f"a{i}", 2, 0, Method.DELETE, None), 1, None)
            for i in range(20, 25)
        ]
        await opened.write(gone)
        yield opened


def _query(path: str, count: int, cursor: str | None = None) -> SearchQuery:
    resource_type, _, text = path.partition("?")
    parsed = parse_search(resource_type, parse_qsl(text), ())
    return SearchQuery(resource_type, tuple(parsed.clauses), tuple(parsed.sort), count, cursor)


def _page(
    conn: sqlite3.Connection, path: str, count: int, cursor: str | None, ordered: bool
) -> tuple[list[str], str | None, str | None]:
    compiled = compile_search(conn, ParamKeys(), _query(path, count, cursor), ordered=ordered)
    rows = conn.execute(str(compiled.page), compiled.page.args).fetchall()
    more = len(rows) > count
    rows = rows[:count]
    if compiled.backwards:
        rows.reverse()
    page = to_page(rows, more, compiled.position, None)
    return [v.id for v in page.versions], page.next_cursor, page.previous_cursor


def _walk(conn: sqlite3.Connection, path: str, ordered: bool) -> list[list[str]]:
    """Every page of 4 forwards to the end, then back to the first by ``previous``."""
    pages: list[list[str]] = []
    ids, following, previous = _page(conn, path, 4, None, ordered)
    pages.append(ids)
    while following is not None:
        ids, following, previous = _page(conn, path, 4, following, ordered)
        pages.append(ids)
    while previous is not None:
        ids, _, previous = _page(conn, path, 4, previous, ordered)
        pages.append(ids)
    return pages


@pytest.mark.parametrize(
    "path",
    [
        "Appointment?date=2024-03-02&_sort=date",
        "Appointment?date=2024-03-02&_sort=-date",
        "Appointment?date=ge2024-03-02&_sort=date",
        "Appointment?date=gt2024-03-01T23:59:59Z&_sort=-date",
        "Appointment?date=lt2024-03-03&_sort=-date",
        "Appointment?date=le2024-03-02&_sort=date",
        "Appointment?date=ge2024-03-01T12:00:00Z&date=lt2024-03-03&_sort=date",
        "Appointment?date=2024-03&_sort=-date",
        "Appointment?date=ne2024-03-02&_sort=date",
        "Appointment?date=2024-03-02&status=booked&_sort=date",
        "Appointment?date=2024-03-02&status:not=cancelled&_sort=-date",
        "Appointment?date=2024-03-02&_sort=date,status",
        "Appointment?date=2024-03-02&_sort=-date,-status",
        "Appointment?date=2024-03-02&actor=Patient/alvarez&_sort=date",
        "Encounter?location-period=ge2024-03-02&_sort=location-period",
        "Encounter?location-period=ge2024-03-02&_sort=-location-period",
    ],
)
async def test_the_ordered_plan_pages_like_the_sorting_plan(store: SqliteStore, path: str) -> None:
    def both(conn: sqlite3.Connection) -> tuple[list[list[str]], list[list[str]]]:
        return _walk(conn, path, ordered=True), _walk(conn, path, ordered=False)

    ordered, sorted_ = await store.readers.run(both)

    assert ordered == sorted_
    assert len(ordered) > 2, ordered  # several pages each way, not one page of all


def _inner_plan(conn: sqlite3.Connection, path: str) -> list[str]:
    """The EXPLAIN QUERY PLAN lines of the page's inner query (which rids, in what order)."""
    compiled = compile_search(conn, ParamKeys(), _query(path, 20))
    rows = conn.execute("EXPLAIN QUERY PLAN " + str(compiled.page), compiled.page.args).fetchall()
    inner = {row[0] for row in rows if row[3] in ("MATERIALIZE page", "CO-ROUTINE page")}
    for row in rows:  # the parent of a line comes before it
        if row[1] in inner:
            inner.add(row[0])
    return [str(row[3]) for row in rows if row[0] in inner]


@pytest.mark.parametrize(
    "path",
    [
        "Appointment?date=2024-03-02&_sort=date",
        "Appointment?date=2024-03-02&_sort=-date",
        "Appointment?date=ge2024-03-02&status=booked&_sort=date",
        "Appointment?date=lt2024-03-03&_sort=-date",
    ],
)
async def test_a_page_sorted_by_its_restricting_date_reads_the_dates_in_order(
    store: SqliteStore, path: str
) -> None:
    lines = await store.readers.run(lambda conn: _inner_plan(conn, path))

    assert any("idx_sort_value (p=? AND value" in line for line in lines), lines
    # A descending page sorts each run of equal dates by rid (ties stay in rid order,
    # as in every page), never the whole match.
    sorts = [line for line in lines if "TEMP B-TREE" in line]
    assert sorts in ([], ["USE TEMP B-TREE FOR RIGHT PART OF ORDER BY"]), lines


@pytest.mark.parametrize(
    "path",
    [
        # Several values per resource: the smallest one orders it, maybe outside the range.
        "Encounter?location-period=ge2024-03-02&_sort=location-period",
        # Sorted by another parameter than the range's.
        "Appointment?date=2024-03-02&_sort=status",
        # One practitioner's (here: patient's) day is a few rows of the pair index.
        "Appointment?date=2024-03-02&actor=Patient/alvarez&_sort=date",
    ],
)
async def test_other_sorted_pages_keep_sorting_their_matches(store: SqliteStore, path: str) -> None:
    lines = await store.readers.run(lambda conn: _inner_plan(conn, path))

    assert any("TEMP B-TREE FOR ORDER BY" in line for line in lines), lines


def _steps(conn: sqlite3.Connection, path: str, ordered: bool) -> int:
    """The SQLite VM instructions a first page of 5 takes: the rows it visits, roughly."""
    compiled = compile_search(conn, ParamKeys(), _query(path, 5), ordered=ordered)
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0

    conn.set_progress_handler(count, 10)
    try:
        assert len(conn.execute(str(compiled.page), compiled.page.args).fetchall()) == 6
    finally:
        conn.set_progress_handler(None, 0)
    return counted[0]


@pytest.mark.parametrize("sort", ["date", "-date"])
async def test_a_day_ten_times_as_full_costs_its_first_page_no_more(
    tmp_path: Path, sort: str
) -> None:
    quiet = [appointment(id=f"q{i}", start=f"2024-04-01T09:{i:02d}:00Z") for i in range(40)]
    busy = [
        appointment(id=f"b{i}", start=f"2024-04-02T{8 + i // 60:02d}:{i % 60:02d}:00Z")
        for i in range(400)
    ]
    async with opened_sqlite(tmp_path / "days.sqlite3") as days:
        await days.write([_version(body, 1) for body in quiet + busy])

        def costs(conn: sqlite3.Connection, ordered: bool) -> tuple[int, int]:
            one, other = (f"Appointment?date=2024-04-0{d}&_sort={sort}" for d in (1, 2))
            return _steps(conn, one, ordered), _steps(conn, other, ordered)

        quiet_day, busy_day = await days.readers.run(lambda conn: costs(conn, True))
        sorted_quiet, sorted_busy = await days.readers.run(lambda conn: costs(conn, False))

    assert busy_day < quiet_day * 1.5, (quiet_day, busy_day)
    assert sorted_busy > sorted_quiet * 5, (sorted_quiet, sorted_busy)  # what it replaces

"""EXPLAIN QUERY PLAN: every search the benchmark runs is driven by an index, not a type scan."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from server.search.extract import extract_index
from server.search.parse import parse_search
from server.search.query import SearchQuery
from server.storage.cursor import encode_cursor
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.index import ParamKeys
from server.storage.sqlite.planner import compile_search
from server.storage.sqlite.store import SqliteStore
from tests.search.conftest import PATIENTS, appointment, claim

pytestmark = pytest.mark.anyio

# A whole-type walk: a SCAN of a table (not of the derived match list ``m`` or the
# ``page``), or an index used on its leading (type/p) column alone.
_WALKS = re.compile(r"^SCAN (?!m$|page$)|INDEX \w+ \((type|p)=\?\)$|\(type=\? AND deleted=\?\)$")

WALKING = [  # a negation or :missing=true alone has to look at every resource of the type
    "Patient?gender:not=male",
    "Patient?birthdate:missing=true",
]
QUERIES = [
    "Patient?identifier=urn:mrn|A1",
    "Patient?family=smi",
    "Patient?family:exact=Smith",
    "Patient?birthdate=ge1970-03-01&birthdate=lt1970-03-15",
    "Patient?birthdate=1990",
    "Appointment?date=2024-03-02&actor=Practitioner/pr1",
    "Claim?patient.identifier=urn:mrn|A1",
    "Claim?patient.family=smith&status=active",
    "Patient?_has:Claim:patient:_id=c1",
    "Patient?family=smi&_sort=-birthdate,family",
    "Patient?_lastUpdated=gt2024-01-01&gender=female",
    "Claim?patient=Patient/alvarez",
    "Patient?gender=female&family=smi",
    "Patient?family=smi&gender:not=male&birthdate:missing=false",
    "Claim?status=active&patient.identifier=urn:mrn|A1",
    # As deep as chains and _has go (MAX_JOIN_DEPTH), each hop still through an index.
    "Patient?organization.partof.partof.partof.partof.partof.name=acme",
    "Organization?_has:Organization:partof:_has:Patient:organization:_has:Claim:patient:"
    "_has:Task:focus:_has:Task:part-of:_has:Task:part-of:status=requested",
]


def plan_of(conn: sqlite3.Connection, search: SearchQuery) -> list[str]:
    compiled = compile_search(conn, ParamKeys(), search)
    rows = conn.execute("EXPLAIN QUERY PLAN " + str(compiled.page), compiled.page.args)
    return [str(row[3]) for row in rows]


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "plans.sqlite3")
    await store.open()
    resources = [{"resourceType": "Patient", "id": k, **v} for k, v in PATIENTS.items()]
    resources += [appointment(id="a1"), claim("alvarez", id="c1")]
    org = {"resourceType": "Organization", "name": "Acme"}
    resources += [{**org, "id": "org1", "partOf": {"reference": "Organization/org2"}}]
    resources += [{**org, "id": "org2"}]
    task = {"resourceType": "Task", "id": "t1", "status": "requested", "intent": "order"}
    resources += [
        {**task, "focus": {"reference": "Claim/c1"}, "partOf": [{"reference": "Task/t2"}]}
    ]
    # Values inside the ranges queried below, so their plans read index rows.
    resources += [{"resourceType": "Patient", "id": "march", "birthDate": "1970-03-05"}]
    writes = []
    for body in resources:
        body = {**body, "meta": {"versionId": "1", "lastUpdated": "2024-05-01T00:00:00Z"}}
        version = StoredVersion(body["resourceType"], body["id"], 1, 0, Method.PUT, b"{}")
        writes.append(Write(version, 0, extract_index(body, base_urls=())))
    await store.write(writes)
    try:
        yield store
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("path", "walks"),
    [pytest.param(q, False, id=q) for q in QUERIES]
    + [pytest.param(q, True, id=q) for q in WALKING],
)
async def test_search_uses_indexes_only(sqlite: SqliteStore, path: str, walks: bool) -> None:
    resource_type, _, query = path.partition("?")
    parsed = parse_search(resource_type, parse_qsl(query), ())
    search = SearchQuery(resource_type, tuple(parsed.clauses), tuple(parsed.sort), 20)

    lines = await sqlite.readers.run(lambda conn: plan_of(conn, search))

    assert lines
    assert bool([line for line in lines if _WALKS.search(line)]) is walks
    # A clause checked per candidate row probes by rid, not by walking its value's rows.
    probes = [after for before, after in pairwise(lines) if before.startswith("CORRELATED")]
    assert all("rid=?" in probe for probe in probes), probes


@pytest.mark.parametrize(
    "path",
    [
        "Patient?family=smi",
        "Patient?gender=female",
        "Patient?given=a,j,z",
        "Patient?_id=oneil",
        "Patient?birthdate=ge1970&birthdate=lt2000",
    ],
)
async def test_walking_or_merging_finds_the_same_pages_as_listing(
    sqlite: SqliteStore, path: str
) -> None:
    resource_type, _, query = path.partition("?")
    clauses = tuple(parse_search(resource_type, parse_qsl(query), ()).clauses)

    def pages(conn: sqlite3.Connection, walk: bool, split: bool = False) -> list[list[int]]:
        found: list[list[int]] = []
        cursor: str | None = None
        while True:
            page = SearchQuery(resource_type, clauses, (), 1, cursor)
            compiled = compile_search(conn, ParamKeys(), page, walk=walk, split=split)
            rows = conn.execute(str(compiled.page), compiled.page.args).fetchall()
            found.append([row[6] for row in rows[:1]])
            if len(rows) < 2:
                return found
            cursor = encode_cursor({"k": [], "r": rows[0][6], "d": "n"})

    listed = await sqlite.readers.run(lambda conn: pages(conn, False))
    walked = await sqlite.readers.run(lambda conn: pages(conn, True))
    merged = await sqlite.readers.run(lambda conn: pages(conn, False, split=True))

    assert walked == listed
    assert merged == listed
    assert any(listed)


@pytest.mark.parametrize(
    ("path", "step"),
    [
        # One arm per distinct name under the prefix (Smith, Smithson), merged in rid order.
        ("Patient?family=smi", "MERGE (UNION)"),
        # One arm per distinct day: both columns equal, so either date index yields rids in order.
        ("Patient?birthdate=ge1970-03-01&birthdate=lt1970-03-15", "low=?"),
        ("Appointment?date=2024-03-01&actor=Patient/alvarez", "INDEX idx_ref_date_value"),
        # The bookings that may overlap a new one: a range for each of its participants.
        (
            "Appointment?date=ge2024-03-01T08:00:00Z&date=lt2024-03-01T10:00:00Z"
            "&actor=Patient/alvarez,Practitioner/pr1&status=booked,arrived",
            "INDEX idx_ref_date_value",
        ),
    ],
)
async def test_pages_stop_early_or_use_the_pair_index(
    sqlite: SqliteStore, path: str, step: str
) -> None:
    resource_type, _, query = path.partition("?")
    parsed = parse_search(resource_type, parse_qsl(query), ())
    search = SearchQuery(resource_type, tuple(parsed.clauses), (), 20)

    lines = await sqlite.readers.run(lambda conn: plan_of(conn, search))

    assert any(step in line for line in lines), lines
    if "low=?" in step:
        assert any("high=?" in line for line in lines), lines

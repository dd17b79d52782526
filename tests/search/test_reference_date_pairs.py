"""A reference and a date searched together: "this practitioner's appointments that day".

SQLite answers these from its (reference, date) pair index; the answers must be what
the two parameters give separately, on every store, including for databases written
before the pair index existed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.search.extract import extract_index
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.store import SqliteStore
from tests.search.conftest import appointment, matched_ids, put, search

pytestmark = pytest.mark.anyio


def _visit(id: str, start: str, *actors: str) -> dict[str, Any]:
    participants = [{"actor": {"reference": a}, "status": "accepted"} for a in actors]
    end = start[:14] + "30:00Z"  # half an hour: a and d are not a double-booking
    return appointment(id=id, start=start, end=end, participant=participants)


VISITS = [
    _visit("a", "2024-03-01T09:00:00Z", "Patient/alvarez", "Practitioner/pr1"),
    _visit("b", "2024-03-01T15:00:00Z", "Patient/smith", "Practitioner/pr2"),
    _visit("c", "2024-03-02T09:00:00Z", "Patient/alvarez", "Practitioner/pr1", "Location/l1"),
    # The same practitioner twice: one match, not two.
    _visit("d", "2024-03-01T23:00:00Z", "Practitioner/pr1", "Practitioner/pr1"),
    _visit("e", "2023-03-01T09:00:00Z", "Practitioner/pr1"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date=2024-03-01&actor=Practitioner/pr1", ["a", "d"]),
        ("actor=Practitioner/pr1&date=2024-03-01", ["a", "d"]),
        ("date=2024-03-01&practitioner=pr1", ["a", "d"]),
        ("date=ge2024-03-01&date=lt2024-03-02&actor=Practitioner/pr1", ["a", "d"]),
        ("date=2024&actor=Practitioner/pr1&_count=1", ["a"]),
        ("date=2024-03&actor=Location/l1", ["c"]),
        ("date=2024-03-01&actor=Practitioner/pr1&patient=alvarez", ["a"]),
        ("date=2024-03-01&actor=Practitioner/pr1,Practitioner/pr2", ["a", "b", "d"]),
        ("date=2024-03-01&actor=Practitioner/pr1,pr1,Patient/alvarez", ["a", "d"]),
        ("date=ge2024-03-01&date=lt2024-03-03&actor=Location/l1,Patient/smith", ["b", "c"]),
        ("date=2025&actor=Practitioner/pr1", []),
        ("date=2024-03-01&actor=Practitioner/nobody", []),
    ],
)
async def test_a_reference_and_a_date_match_together(
    client: httpx.AsyncClient, query: str, expected: list[str]
) -> None:
    for visit in VISITS:
        await put(client, visit)

    bundle = await search(client, f"Appointment?{query}")

    assert sorted(matched_ids(bundle)) == expected


async def test_an_update_moves_the_pair(client: httpx.AsyncClient) -> None:
    await put(client, VISITS[0])
    await put(client, _visit("a", "2024-04-01T09:00:00Z", "Practitioner/pr2"))

    before = await search(client, "Appointment?date=2024-03-01&actor=Practitioner/pr1")
    after = await search(client, "Appointment?date=2024-04-01&actor=Practitioner/pr2")

    assert matched_ids(before) == []
    assert matched_ids(after) == ["a"]


async def test_an_older_database_gets_its_pairs_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = SqliteStore(path)
    await store.open()
    body = VISITS[0]
    version = StoredVersion("Appointment", "a", 1, 0, Method.PUT, b"{}")
    await store.write([Write(version, 0, extract_index(body, base_urls=()))])
    await store.close()
    with sqlite3.connect(path) as conn:  # as written before the pair index existed
        conn.execute("DROP TABLE idx_ref_date")
    conn.close()

    reopened = SqliteStore(path)
    await reopened.open()
    try:
        rows = await reopened.readers.run(
            lambda c: c.execute("SELECT count(*) FROM idx_ref_date").fetchone()[0]
        )
    finally:
        await reopened.close()

    assert rows == 4  # date with each of actor (twice), patient and practitioner

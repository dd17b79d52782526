"""The export snapshot: each resource as it was at the transaction time, on every store."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from server.search.extract import extract_index
from server.storage.factory import open_bulk_records
from server.storage.port import Method, Store, StoredVersion, Write
from server.versions import next_version

pytestmark = pytest.mark.anyio


def _patient(pid: str, family: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family}]}


async def _put(store: Store, body: dict[str, Any], updated: int) -> None:
    current = await store.read("Patient", body["id"])
    write = next_version(
        "Patient",
        body["id"],
        current,
        body,
        Method.PUT,
        lambda b: extract_index(b, base_urls=()),
        updated=updated,
    )
    await store.write([write])


async def _delete(store: Store, pid: str, updated: int) -> None:
    current = await store.read("Patient", pid)
    assert current is not None
    marker = StoredVersion("Patient", pid, current.version + 1, updated, Method.DELETE, None)
    await store.write([Write(marker, current.version, None)])


async def _families(store: Store, as_of: int, page: int) -> list[tuple[str, str]]:
    records = await open_bulk_records(store)
    found: list[tuple[str, str]] = []
    after: str | None = None
    while True:
        result = await records.read_as_of("Patient", as_of, after, page)
        found += [
            (v.id, orjson.loads(v.body or b"{}")["name"][0]["family"]) for v in result.versions
        ]
        if result.next_after is None:
            return found
        after = result.next_after


@pytest.mark.parametrize(
    "page", [pytest.param(1, id="page-of-1"), pytest.param(50, id="page-of-50")]
)
async def test_later_writes_are_not_in_the_snapshot(store: Store, page: int) -> None:
    for n, pid in enumerate(("a", "b", "c", "d")):
        await _put(store, _patient(pid, f"{pid}-1"), 1_000 + n)
    await _delete(store, "d", 1_500)
    snapshot = 2_000
    await _put(store, _patient("a", "a-2"), 3_000)  # updated after: its old state
    await _delete(store, "b", 3_001)  # deleted after: still there
    await _put(store, _patient("e", "e-1"), 3_002)  # created after: absent
    await _put(store, _patient("d", "d-2"), 3_003)  # deleted before, back after: absent

    assert await _families(store, snapshot, page) == [("a", "a-1"), ("b", "b-1"), ("c", "c-1")]


async def test_the_snapshot_holds_only_its_type(store: Store) -> None:
    await _put(store, _patient("p", "x"), 10)
    org = next_version(
        "Organization",
        "o",
        None,
        {"resourceType": "Organization", "id": "o", "name": "Acme"},
        Method.PUT,
        lambda b: extract_index(b, base_urls=()),
        updated=10,
    )
    await store.write([org])
    records = await open_bulk_records(store)
    result = await records.read_as_of("Organization", 100, None, 10)
    assert [v.id for v in result.versions] == ["o"]
    assert result.next_after is None

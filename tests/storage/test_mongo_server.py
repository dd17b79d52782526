"""What only a real MongoDB server can show: query plans, standalone refusal, sharding.

mongomock has no query planner, no topology and no shards, so each test here runs
only when its server is named:

- ``FHIRPORT_TEST_MONGODB_URI``: a replica set (``make test-mongodb`` starts one);
- ``FHIRPORT_TEST_MONGODB_STANDALONE_URI``: a server started without ``--replSet``;
- ``FHIRPORT_TEST_MONGODB_SHARDED=1`` with the first naming a ``mongos`` router.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from server.search.index_entries import IndexEntries, TokenEntry
from server.search.parse import parse_search
from server.storage.mongo.search import MongoSearch
from server.storage.mongo.shards import SHARD_PLAN, prepare_for_sharding
from server.storage.mongo.store import MongoStore
from server.storage.mongo.uri import database_name
from server.storage.port import LedgerEntry, Method, StoredVersion, StoreUnavailable, Write
from tests.mongodb_databases import URI_VARIABLE, fresh_database_url

pytestmark = pytest.mark.anyio

needs_server = pytest.mark.skipif(
    not os.environ.get(URI_VARIABLE),
    reason=f"needs a real MongoDB replica set in {URI_VARIABLE}: mongomock has no query planner",
)


@pytest.fixture
async def server_store() -> AsyncIterator[MongoStore]:
    store = MongoStore(fresh_database_url())
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def _patient(n: int, gender: str) -> Write:
    body = f'{{"resourceType":"Patient","id":"p{n}"}}'.encode()
    stored = StoredVersion("Patient", f"p{n}", 1, n, Method.PUT, body)
    index = IndexEntries([], [TokenEntry("gender", None, gender, None)], [], [], [], {"gender"})
    return Write(stored, 0, index)


def _stages(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for key in ("inputStage", "queryPlan"):
        if isinstance(plan.get(key), dict):
            yield from _stages(plan[key])
    for child in plan.get("inputStages", ()):
        yield from _stages(child)


@needs_server
async def test_a_page_reads_only_its_documents_from_the_clause_index(
    server_store: MongoStore,
) -> None:
    await server_store.write([_patient(n, ("female", "male")[n % 2]) for n in range(200)])
    parsed = parse_search("Patient", [("gender", "female")], ())
    matched = await MongoSearch(server_store.resources).filter("Patient", tuple(parsed.clauses))

    explained = await server_store.conn.database.command(
        "explain",
        {"find": "resources", "filter": matched, "sort": {"_id": 1}, "limit": 21},
        verbosity="executionStats",
    )

    stages = list(_stages(explained["queryPlanner"]["winningPlan"]))
    scans = [s for s in stages if s.get("stage") == "IXSCAN"]
    assert [list(s["keyPattern"]) for s in scans] == [["type", "idx.t.p", "idx.t.c", "_id"]]
    assert not [s for s in stages if s.get("stage") == "SORT"]  # the index gives the order
    assert explained["executionStats"]["totalDocsExamined"] <= 21


@needs_server
async def test_a_date_range_is_bounded_on_low(server_store: MongoStore) -> None:
    parsed = parse_search("Patient", [("birthdate", "ge1990-01-01")], ())
    matched = await MongoSearch(server_store.resources, server_store.date_widths).filter(
        "Patient", tuple(parsed.clauses)
    )

    explained = await server_store.conn.database.command(
        "explain", {"find": "resources", "filter": matched}, verbosity="queryPlanner"
    )

    scans = [
        s for s in _stages(explained["queryPlanner"]["winningPlan"]) if s.get("stage") == "IXSCAN"
    ]
    assert scans, explained["queryPlanner"]["winningPlan"]
    assert list(scans[0]["keyPattern"])[:3] == ["type", "idx.d.p", "idx.d.l"]
    assert scans[0]["indexBounds"]["idx.d.l"] != ["[MinKey, MaxKey]"]


@pytest.mark.skipif(
    not os.environ.get("FHIRPORT_TEST_MONGODB_STANDALONE_URI"),
    reason="needs a standalone MongoDB server in FHIRPORT_TEST_MONGODB_STANDALONE_URI",
)
async def test_a_standalone_server_is_refused_at_open() -> None:
    store = MongoStore(os.environ["FHIRPORT_TEST_MONGODB_STANDALONE_URI"])

    with pytest.raises(StoreUnavailable, match="one-member replica set"):
        await store.open()


@pytest.mark.skipif(
    not (os.environ.get(URI_VARIABLE) and os.environ.get("FHIRPORT_TEST_MONGODB_SHARDED")),
    reason="needs a mongos router in FHIRPORT_TEST_MONGODB_URI and FHIRPORT_TEST_MONGODB_SHARDED=1",
)
async def test_the_shard_plan_applies_and_transactions_span_shards() -> None:
    url = fresh_database_url()
    await prepare_for_sharding(url)
    store = MongoStore(url)
    await store.open()
    try:
        name = database_name(url)
        for shard in SHARD_PLAN:
            await store.conn.client.admin.command(
                "shardCollection", f"{name}.{shard.collection}", key=shard.key
            )
        entry = LedgerEntry("S", "M1", 1, "ADT^A08", None, "applied", b"MSH|")

        await store.write([_patient(n, "female") for n in range(20)], entry)

        assert await store.count("Patient") == 20
        assert await store.ledger_get("S", "M1") == entry
    finally:
        await store.close()

"""What the MongoDB adapter adds to the port's contract, on mongomock (``memory://``).

The collections it makes in ``open``, the size limit, the ledger's compound key and
insert-if-absent rule, joins that refuse rather than truncate, and the widest date
span it keeps for date ranges.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.search.index_entries import DateEntry, IndexEntries, ReferenceEntry
from server.search.parse import parse_search
from server.storage.mongo import search as mongo_search
from server.storage.mongo.limits import MAX_DOCUMENT_BYTES
from server.storage.mongo.search import MongoSearch
from server.storage.mongo.store import MongoStore
from server.storage.port import (
    DocumentTooLarge,
    LedgerEntry,
    LedgerTaken,
    Method,
    QueryTooCostly,
    StoredVersion,
    Write,
)
from tests.direct_store import search_ids

pytestmark = pytest.mark.anyio


@pytest.fixture
async def mongo() -> AsyncIterator[MongoStore]:
    store = MongoStore("memory://")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def _entries(**kinds: list[object]) -> IndexEntries:
    empty: dict[str, list[object]] = {"strings": [], "tokens": [], "dates": [], "references": []}
    return IndexEntries(**{**empty, **kinds}, uris=[], present=set())  # type: ignore[arg-type]


def _write(resource_type: str, resource_id: str, body: bytes, index: IndexEntries) -> Write:
    stored = StoredVersion(resource_type, resource_id, 1, 10, Method.PUT, body)
    return Write(stored, 0, index)


def _entry(
    sender: str, control_id: str, outcome: str = "applied", raw: bytes = b"MSH"
) -> LedgerEntry:
    return LedgerEntry(sender, control_id, 1, "ADT^A08", None, outcome, raw)


async def test_open_makes_every_collection(mongo: MongoStore) -> None:
    names = set(await mongo.conn.database.list_collection_names())

    assert {"resources", "history", "hl7_ledger", "guards", "date_widths"} <= names


async def test_a_document_past_the_bson_limit_is_refused_before_writing(mongo: MongoStore) -> None:
    body = b'{"resourceType":"Bundle","id":"big","x":"' + b"a" * MAX_DOCUMENT_BYTES + b'"}'

    with pytest.raises(DocumentTooLarge) as refused:
        await mongo.write([_write("Bundle", "big", body, _entries())])

    assert refused.value.limit == MAX_DOCUMENT_BYTES
    assert refused.value.size > MAX_DOCUMENT_BYTES
    assert await mongo.read("Bundle", "big") is None


async def test_a_batch_with_one_large_document_writes_none(mongo: MongoStore) -> None:
    small = _write("Bundle", "small", b"{}", _entries())
    body = b"a" * (MAX_DOCUMENT_BYTES - 100)  # fits alone, not with its index and fields

    with pytest.raises(DocumentTooLarge):
        await mongo.write([small, _write("Bundle", "big", body, _entries())])

    assert await mongo.read("Bundle", "small") is None


async def test_a_raw_message_past_the_limit_is_refused(mongo: MongoStore) -> None:
    entry = _entry("S", "M", raw=b"MSH|" + b"x" * MAX_DOCUMENT_BYTES)

    with pytest.raises(DocumentTooLarge):
        await mongo.write([], entry)

    assert await mongo.ledger_get("S", "M") is None


async def test_the_ledger_key_keeps_sender_and_control_id_apart(mongo: MongoStore) -> None:
    await mongo.write([], _entry("A|B", "C"))
    await mongo.write([], _entry("A", "B|C"))

    first = await mongo.ledger_get("A|B", "C")
    second = await mongo.ledger_get("A", "B|C")
    assert first is not None
    assert (first.sender, first.control_id) == ("A|B", "C")
    assert second is not None
    assert (second.sender, second.control_id) == ("A", "B|C")


async def test_an_accepted_ledger_entry_is_never_overwritten(mongo: MongoStore) -> None:
    await mongo.write([], _entry("S", "M", "applied", b"first"))

    with pytest.raises(LedgerTaken):
        await mongo.write([], _entry("S", "M", "applied", b"second"))

    kept = await mongo.ledger_get("S", "M")
    assert kept is not None
    assert kept.raw == b"first"


async def test_a_refused_ledger_entry_is_replaced_by_the_next_attempt(mongo: MongoStore) -> None:
    await mongo.write([], _entry("S", "M", "rejected", b"raw"))
    await mongo.write([], _entry("S", "M", "applied", b"raw"))

    kept = await mongo.ledger_get("S", "M")
    assert kept is not None
    assert kept.outcome == "applied"


async def _patients_with_claims(mongo: MongoStore, count: int) -> None:
    for n in range(count):
        await mongo.write([_write("Patient", f"p{n}", b"{}", _entries())])
        reference = ReferenceEntry("patient", "Patient", f"p{n}", None)
        await mongo.write([_write("Claim", f"o{n}", b"{}", _entries(references=[reference]))])


@pytest.mark.parametrize(
    ("resource_type", "query"),
    [
        pytest.param("Claim", "patient:Patient._id:not=none", id="chain"),
        pytest.param("Patient", "_has:Claim:patient:_id:not=none", id="has"),
    ],
)
async def test_a_join_wider_than_the_limit_is_refused_not_cut(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch, resource_type: str, query: str
) -> None:
    await _patients_with_claims(mongo, 4)
    monkeypatch.setattr(mongo_search, "JOIN_LIMIT", 3)

    with pytest.raises(QueryTooCostly) as refused:
        await search_ids(mongo, resource_type, query)

    assert "3" in str(refused.value)


async def test_a_join_within_the_limit_answers_every_match(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _patients_with_claims(mongo, 3)
    monkeypatch.setattr(mongo_search, "JOIN_LIMIT", 3)

    found = await search_ids(mongo, "Patient", "_has:Claim:patient:_id:not=none")

    assert found == ["p0", "p1", "p2"]


async def test_has_filters_on_the_indexed_key(mongo: MongoStore) -> None:
    await _patients_with_claims(mongo, 2)
    parsed = parse_search("Patient", [("_has:Claim:patient:_id:not", "none")], ())

    built = await MongoSearch(mongo.resources).filter("Patient", tuple(parsed.clauses))

    assert {"_id": {"$in": ["Patient/p0", "Patient/p1"]}} in built["$and"]


_DAY = 86_400_000_000
_YEAR = 365 * _DAY


async def test_a_date_range_is_bounded_by_the_widest_stored_span(mongo: MongoStore) -> None:
    start = 1_700_000_000_000_000
    period = DateEntry("period", start, start + 3 * _YEAR)
    await mongo.write([_write("Consent", "long", b"{}", _entries(dates=[period]))])
    birth = DateEntry("birthdate", start, start + _DAY)
    await mongo.write([_write("Patient", "born", b"{}", _entries(dates=[birth]))])

    inside = await search_ids(mongo, "Consent", "period=ap2025-06-01")
    born = await search_ids(mongo, "Patient", "birthdate=ge2023-11-14")
    parsed = parse_search("Patient", [("birthdate", "ge2023-11-14")], ())
    built = await MongoSearch(mongo.resources, mongo.date_widths).filter(
        "Patient", tuple(parsed.clauses)
    )

    assert inside == ["long"]  # three years wide: found although the range is one day
    assert born == ["born"]
    low_bound = _low_bound(built)
    assert low_bound is not None
    assert low_bound >= start - 2 * _DAY  # a day wide, not a year


def _low_bound(node: object) -> int | None:
    if isinstance(node, dict):
        if isinstance(node.get("l"), dict) and "$gte" in node["l"]:
            return int(node["l"]["$gte"])
        for value in node.values():
            found = _low_bound(value)
            if found is not None:
                return found
    if isinstance(node, list):
        for item in node:
            found = _low_bound(item)
            if found is not None:
                return found
    return None

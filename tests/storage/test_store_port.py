"""The storage port's contract, on every store: versions, compare-and-swap, history order."""

from __future__ import annotations

import pytest

from server.search.index_entries import IndexEntries, TokenEntry
from server.storage.port import HistoryQuery, Method, Store, StoredVersion, VersionConflict, Write

pytestmark = pytest.mark.anyio


def version(
    resource_id: str, number: int, updated: int, method: Method = Method.PUT
) -> StoredVersion:
    body = (
        None
        if method is Method.DELETE
        else f'{{"resourceType":"Patient","id":"{resource_id}"}}'.encode()
    )
    return StoredVersion("Patient", resource_id, number, updated, method, body)


def entries() -> IndexEntries:
    return IndexEntries(
        strings=[],
        tokens=[TokenEntry("gender", None, "male", None)],
        dates=[],
        references=[],
        uris=[],
        present={"gender"},
    )


async def test_write_then_read_and_vread(store: Store) -> None:
    await store.write([Write(version("a", 1, 100), 0, entries())])
    await store.write([Write(version("a", 2, 200), 1, entries())])

    current = await store.read("Patient", "a")
    first = await store.vread("Patient", "a", 1)

    assert current is not None
    assert current.version == 2
    assert current.last_updated == 200
    assert first is not None
    assert first.body == b'{"resourceType":"Patient","id":"a"}'
    assert await store.vread("Patient", "a", 3) is None
    assert await store.read("Patient", "zzz") is None


@pytest.mark.parametrize(
    "expected", [pytest.param(0, id="create-existing"), pytest.param(5, id="stale")]
)
async def test_compare_and_swap_rejects_wrong_expectation(store: Store, expected: int) -> None:
    await store.write([Write(version("a", 1, 100), 0, entries())])

    with pytest.raises(VersionConflict):
        await store.write([Write(version("a", 2, 200), expected, entries())])

    current = await store.read("Patient", "a")
    assert current is not None
    assert current.version == 1


async def test_delete_marker_and_count(store: Store) -> None:
    await store.write([Write(version("a", 1, 100), 0, entries())])
    await store.write([Write(version("b", 1, 110), 0, entries())])
    assert await store.count("Patient") == 2

    await store.write([Write(version("a", 2, 120, Method.DELETE), 1, None)])

    current = await store.read("Patient", "a")
    assert current is not None
    assert current.deleted
    assert await store.count("Patient") == 1


async def test_a_delete_marker_keeps_its_event_time(store: Store) -> None:
    await store.write([Write(version("a", 1, 100), 0, entries())])
    marker = StoredVersion("Patient", "a", 2, 120, Method.DELETE, None, event_time=115)
    await store.write([Write(marker, 1, None)])

    current = await store.read("Patient", "a")
    many = await store.read_many([("Patient", "a")])
    again = await store.vread("Patient", "a", 2)
    history = await store.history(HistoryQuery("Patient", "a", None, 5, None))

    assert current == many[("Patient", "a")] == again == marker
    assert [v.event_time for v in history.versions] == [115, None]


async def test_history_pages_newest_first(store: Store) -> None:
    for number in range(1, 6):
        await store.write([Write(version("a", number, number * 10), number - 1, entries())])

    first = await store.history(HistoryQuery("Patient", "a", None, 2, None))
    second = await store.history(HistoryQuery("Patient", "a", None, 2, first.next_cursor))
    third = await store.history(HistoryQuery("Patient", "a", None, 2, second.next_cursor))
    recent = await store.history(HistoryQuery(None, None, 40, 10, None))

    assert [v.version for v in first.versions] == [5, 4]
    assert [v.version for v in second.versions] == [3, 2]
    assert [v.version for v in third.versions] == [1]
    assert third.next_cursor is None
    assert [v.version for v in recent.versions] == [5, 4]


async def test_ledger_entry_is_written_with_the_resources(store: Store) -> None:
    from server.storage.port import LedgerEntry

    entry = LedgerEntry(
        sender="EPIC|HOSP",
        control_id="MSG1",
        received=5,
        message_type="ADT^A04",
        event_time=4,
        outcome="applied",
        raw=b"MSH|^~\\&|...",
        touched=("Patient/a",),
        unmapped=("ZPI",),
    )

    await store.write([Write(version("a", 1, 100), 0, entries())], ledger=entry)

    assert await store.ledger_get("EPIC|HOSP", "MSG1") == entry
    assert await store.ledger_get("EPIC|HOSP", "MSG2") is None


async def test_failed_write_records_no_ledger_entry(store: Store) -> None:
    from server.storage.port import LedgerEntry

    await store.write([Write(version("a", 1, 100), 0, entries())])
    entry = LedgerEntry("S", "M", 1, "ADT^A08", None, "applied", b"raw")

    with pytest.raises(VersionConflict):
        await store.write([Write(version("a", 2, 200), 0, entries())], ledger=entry)

    assert await store.ledger_get("S", "M") is None


async def test_read_many_answers_every_key_in_one_call(store: Store) -> None:
    await store.write([Write(version("a", 1, 100), 0, entries())])
    await store.write([Write(version("a", 2, 200), 1, entries())])
    await store.write([Write(version("b", 1, 300), 0, entries())])
    await store.write([Write(version("b", 2, 400, Method.DELETE), 1, None)])

    found = await store.read_many([("Patient", "a"), ("Patient", "b"), ("Patient", "zzz")])

    assert list(found) == [("Patient", "a"), ("Patient", "b"), ("Patient", "zzz")]
    assert found[("Patient", "a")] == await store.read("Patient", "a")
    assert found[("Patient", "a")].version == 2  # type: ignore[union-attr]
    assert found[("Patient", "b")] is not None
    assert found[("Patient", "b")].deleted  # type: ignore[union-attr]
    assert found[("Patient", "zzz")] is None


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param([], id="none"),
        pytest.param([("Patient", "a"), ("Patient", "a")], id="repeated"),
        pytest.param([("Patient", f"p{n}") for n in range(900)], id="more-than-one-statement"),
    ],
)
async def test_read_many_edge_cases(store: Store, keys: list[tuple[str, str]]) -> None:
    await store.write([Write(version("a", 1, 100), 0, entries())])
    await store.write([Write(version("p899", 1, 100), 0, entries())])

    found = await store.read_many(keys)

    assert set(found) == set(keys)
    assert {k for k, v in found.items() if v is not None} == {
        k for k in keys if k in {("Patient", "a"), ("Patient", "p899")}
    }

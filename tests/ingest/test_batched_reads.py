"""Store reads of messages planned together: coalesced, and create-only resources remembered."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from mappers.result import Action
from server.hl7v2.ingest.model import Change
from server.hl7v2.ingest.reads import BatchedReader, Found, Key
from server.hl7v2.ingest.service import Ingestor
from server.storage.port import LedgerEntry, Store, StoredVersion
from tests.ingest.factories import SENDER, T0, coverage, patient, prepared, service_on

pytestmark = pytest.mark.anyio
HOUR = 3_600_000_000
PAYER = {"resourceType": "Organization", "id": "payer1", "name": "Payer"}


class CountingStore:
    """Delegates to a real store, recording every read_many call."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: list[list[Key]] = []
        self.ledger_calls: list[list[tuple[str, str]]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        self.calls.append([(resource_type, resource_id)])
        return await self.inner.read(resource_type, resource_id)

    async def read_many(self, keys: Sequence[Key]) -> Found:
        self.calls.append(list(keys))
        return await self.inner.read_many(keys)

    async def ledger_get(self, sender: str, control_id: str) -> LedgerEntry | None:
        self.ledger_calls.append([(sender, control_id)])
        return await self.inner.ledger_get(sender, control_id)

    async def ledger_get_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LedgerEntry | None]:
        self.ledger_calls.append(list(keys))
        return await self.inner.ledger_get_many(keys)


class BrokenStore:
    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        raise OSError("disk went away")

    async def read_many(self, keys: Sequence[Key]) -> Found:
        raise OSError("disk went away")


async def test_reads_asked_for_together_are_one_store_call(store: Store) -> None:
    await Ingestor(service_on(store)).apply(prepared("M0", patient("p1"), patient("p2")))
    counting = CountingStore(store)
    reader = BatchedReader(counting)

    first, second, third = await asyncio.gather(
        reader.read_many([("Patient", "p1")]),
        reader.read_many([("Patient", "p2"), ("Patient", "p1")]),
        reader.read_many([("Patient", "nobody")]),
    )

    assert counting.calls == [[("Patient", "p1"), ("Patient", "p2"), ("Patient", "nobody")]]
    assert list(first) == [("Patient", "p1")]
    assert list(second) == [("Patient", "p2"), ("Patient", "p1")]
    assert second[("Patient", "p1")] == first[("Patient", "p1")]
    assert third == {("Patient", "nobody"): None}
    assert (await reader.read("Patient", "p2")) == second[("Patient", "p2")]


async def test_a_batch_is_split_past_the_key_limit(store: Store) -> None:
    counting = CountingStore(store)
    reader = BatchedReader(counting, limit=2)

    await asyncio.gather(*(reader.read_many([("Patient", f"p{n}")]) for n in range(5)))

    assert [len(keys) for keys in counting.calls] == [2, 2, 1]


async def test_a_store_error_reaches_every_caller() -> None:
    reader = BatchedReader(BrokenStore())

    results = await asyncio.gather(
        reader.read_many([("Patient", "p1")]),
        reader.read_many([("Patient", "p2")]),
        return_exceptions=True,
    )

    assert [type(r) for r in results] == [OSError, OSError]


async def test_a_plan_reads_its_resources_in_one_call(store: Store) -> None:
    counting = CountingStore(store)
    ingestor = Ingestor(service_on(counting))  # type: ignore[arg-type]

    await ingestor.apply(prepared("M1", patient("p1"), coverage("c1", "p1")))

    assert counting.calls == [[("Patient", "p1"), ("Coverage", "c1")]]


async def test_known_create_only_resources_are_not_read_again(store: Store) -> None:
    counting = CountingStore(store)
    ingestor = Ingestor(service_on(counting), remember_create_only=True)  # type: ignore[arg-type]
    await ingestor.apply(prepared("M1", patient("p1"), (PAYER, Action.CREATE_ONLY)))
    await ingestor.apply(
        prepared("M2", patient("p1"), (PAYER, Action.CREATE_ONLY), event_time=T0 + HOUR)
    )
    counting.calls.clear()

    outcome = await ingestor.apply(
        prepared("M3", patient("p1"), (PAYER, Action.CREATE_ONLY), event_time=T0 + 2 * HOUR)
    )

    assert counting.calls == [[("Patient", "p1")]]
    assert [(t.reference, t.change, t.version) for t in outcome.touched] == [
        ("Patient/p1", Change.UNCHANGED, 1),
        ("Organization/payer1", Change.UNCHANGED, 1),
    ]


async def test_a_create_only_resource_written_as_upsert_is_read_again(store: Store) -> None:
    counting = CountingStore(store)
    ingestor = Ingestor(service_on(counting), remember_create_only=True)  # type: ignore[arg-type]
    await ingestor.apply(prepared("M1", (PAYER, Action.CREATE_ONLY)))
    await ingestor.apply(prepared("M2", (PAYER, Action.CREATE_ONLY), event_time=T0 + HOUR))
    renamed = {**PAYER, "name": "Renamed"}
    await ingestor.apply(prepared("M3", renamed, event_time=T0 + 2 * HOUR))
    counting.calls.clear()

    outcome = await ingestor.apply(
        prepared("M4", (PAYER, Action.CREATE_ONLY), event_time=T0 + 3 * HOUR)
    )

    assert counting.calls == [[("Organization", "payer1")]]
    assert [(t.change, t.version) for t in outcome.touched] == [(Change.UNCHANGED, 2)]


async def test_without_the_memo_create_only_resources_are_read(store: Store) -> None:
    counting = CountingStore(store)
    ingestor = Ingestor(service_on(counting))  # type: ignore[arg-type]
    await ingestor.apply(prepared("M1", (PAYER, Action.CREATE_ONLY)))
    counting.calls.clear()

    await ingestor.apply(prepared("M2", (PAYER, Action.CREATE_ONLY), event_time=T0 + HOUR))

    assert counting.calls == [[("Organization", "payer1")]]


async def test_messages_applied_together_look_up_the_ledger_in_one_call(store: Store) -> None:
    counting = CountingStore(store)
    ingestor = Ingestor(service_on(counting))  # type: ignore[arg-type]

    outcomes = await asyncio.gather(
        *(ingestor.apply(prepared(f"M{n}", patient(f"p{n}"))) for n in range(3))
    )

    assert counting.ledger_calls == [[(SENDER, "M0"), (SENDER, "M1"), (SENDER, "M2")]]
    assert [o.outcome.value for o in outcomes] == ["applied"] * 3


async def test_a_resend_applied_with_its_original_is_a_duplicate(store: Store) -> None:
    ingestor = Ingestor(service_on(store))

    first, again = await asyncio.gather(
        ingestor.apply(prepared("M9", patient("p9"))),
        ingestor.apply(prepared("M9", patient("p9"))),
    )

    assert [first.outcome.value, again.outcome.value] == ["applied", "duplicate"]

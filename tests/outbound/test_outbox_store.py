"""The outbox in each store: written with the versions it announces, or not at all."""

from __future__ import annotations

import dataclasses

import pytest

from server.storage.port import (
    OutboxEntry,
    OutboxQuery,
    Store,
    VersionConflict,
    outbox_time_key,
)
from tests.direct_store import indexed
from tests.released_together import released_together

pytestmark = pytest.mark.anyio

PATIENT = {"resourceType": "Patient", "id": "p1"}


def entry(number: int, destination: str = "lab", patient: str = "p1") -> OutboxEntry:
    return OutboxEntry(
        id=f"{number:020d}",
        destination=destination,
        created=number,
        message_type="ADT^A08",
        resource_type="Patient",
        resource_id=patient,
        version=1,
        patient=patient,
    )


async def test_entries_are_stored_with_the_version(store: Store) -> None:
    await store.write([indexed(PATIENT)], outbox=[entry(2), entry(1), entry(3, "billing")])

    due = await store.outbox_due("lab", 10)

    assert [e.id for e in due] == [entry(1).id, entry(2).id]
    assert due[0] == entry(1)


async def test_a_conflicting_write_stores_no_entry(store: Store) -> None:
    await store.write([indexed(PATIENT)])

    with pytest.raises(VersionConflict):
        await store.write([indexed(PATIENT)], outbox=[entry(1)])

    assert await store.outbox_due("lab", 10) == []


async def test_a_settled_entry_is_no_longer_due_and_is_listed_by_status(store: Store) -> None:
    await store.write([indexed(PATIENT)], outbox=[entry(1), entry(2), entry(3)])
    sent = dataclasses.replace(entry(1), status="sent", attempts=1, ack="MSH|^~\\&\rMSA|AA|1")
    failed = dataclasses.replace(entry(2), status="failed", attempts=1, last_error="AE: bad")

    await store.outbox_update([sent, failed])

    assert [e.id for e in await store.outbox_due("lab", 10)] == [entry(3).id]
    assert await store.outbox_list(OutboxQuery("failed", None, 10)) == [failed]
    everything = await store.outbox_list(OutboxQuery(None, "lab", 2))
    assert everything == [sent, failed]
    rest = await store.outbox_list(OutboxQuery(None, "lab", 2, after=failed.id))
    assert [e.id for e in rest] == [entry(3).id]


def made_at(microseconds: int, number: int) -> OutboxEntry:
    return dataclasses.replace(entry(number), id=outbox_time_key(microseconds) + "0000000")


async def test_a_purge_removes_sent_entries_made_before_a_time(store: Store) -> None:
    old, recent, dead, owed = made_at(100, 1), made_at(300, 2), made_at(101, 3), made_at(102, 4)
    await store.write([indexed(PATIENT)], outbox=[old, recent, dead, owed])
    sent = [dataclasses.replace(e, status="sent", settled=400) for e in (old, recent)]
    failed = dataclasses.replace(dead, status="failed", settled=400)
    await store.outbox_update([*sent, failed])

    removed = await store.outbox_purge(before=200)

    assert removed == 1
    assert await store.outbox_list(OutboxQuery(None, None, 10)) == [failed, owed, sent[1]]


async def test_requeue_makes_dead_letters_pending_again_and_leaves_the_rest(store: Store) -> None:
    await store.write([indexed(PATIENT)], outbox=[entry(1), entry(2), entry(3)])
    dead = dataclasses.replace(
        entry(1), status="failed", attempts=2, last_error="AE: bad", ack="MSA|AE|1", settled=9
    )
    sent = dataclasses.replace(entry(2), status="sent", attempts=1, ack="MSA|AA|2", settled=9)
    await store.outbox_update([dead, sent])

    requeued = await store.outbox_requeue([dead.id, sent.id, entry(3).id, "no-such-entry"])

    again = dataclasses.replace(dead, status="pending", ack=None, settled=None)
    assert requeued == [again]
    assert [e.id for e in await store.outbox_due("lab", 10)] == [dead.id, entry(3).id]
    assert await store.outbox_list(OutboxQuery("sent", None, 10)) == [sent]
    assert await store.outbox_requeue([dead.id]) == []


@pytest.mark.parametrize("attempt", range(3))
async def test_requeues_released_together_requeue_a_dead_letter_once(
    store: Store, attempt: int
) -> None:
    await store.write([indexed(PATIENT)], outbox=[entry(1)])
    await store.outbox_update([dataclasses.replace(entry(1), status="failed", attempts=1)])

    answers = await released_together([lambda: store.outbox_requeue([entry(1).id])] * 8)

    assert sorted(len(answer) for answer in answers) == [0] * 7 + [1]

"""The ingest pipeline on every store, with hand-built mappings: identity, order, merges, ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import orjson
import pytest

from mappers.result import Action
from server.hl7v2.ingest.model import Change, Failure, Outcome
from server.hl7v2.ingest.provenance import EVENT_TIME_URL
from server.hl7v2.ingest.service import Ingestor
from server.storage.port import LedgerEntry, Store, VersionConflict, Write
from tests.ingest.factories import (
    SENDER,
    T0,
    appointment,
    coverage,
    patient,
    prepared,
    service_on,
)

pytestmark = pytest.mark.anyio
HOUR = 3_600_000_000


@pytest.fixture
def ingestor(store: Store) -> Ingestor:
    return Ingestor(service_on(store))


async def body(store: Store, resource_type: str, resource_id: str) -> dict[str, object]:
    found = await store.read(resource_type, resource_id)
    assert found is not None
    assert found.body is not None
    document: dict[str, object] = orjson.loads(found.body)
    return document


async def test_first_message_creates_with_provenance(ingestor: Ingestor, store: Store) -> None:
    outcome = await ingestor.apply(prepared("M1", patient("p1"), coverage("c1", "p1")))

    assert outcome.outcome is Outcome.APPLIED
    assert [(t.reference, t.change, t.version) for t in outcome.touched] == [
        ("Patient/p1", Change.CREATED, 1),
        ("Coverage/c1", Change.CREATED, 1),
    ]
    stored = await body(store, "Patient", "p1")
    meta = stored["meta"]
    assert isinstance(meta, dict)
    assert meta["source"] == "urn:hl7v2:LEGACY|NORTH#M1"
    assert meta["extension"] == [
        {"url": EVENT_TIME_URL, "valueInstant": "2023-11-14T22:13:20.000000Z"}
    ]
    entry = await store.ledger_get(SENDER, "M1")
    assert entry is not None
    assert entry.outcome == "applied"
    assert entry.touched == ("Patient/p1/_history/1", "Coverage/c1/_history/1")
    assert entry.raw.startswith(b"MSH|")


async def test_same_content_again_makes_no_new_version(ingestor: Ingestor, store: Store) -> None:
    await ingestor.apply(prepared("M1", patient("p1")))

    again = await ingestor.apply(prepared("M2", patient("p1"), event_time=T0 + HOUR))

    assert again.outcome is Outcome.APPLIED
    assert [t.change for t in again.touched] == [Change.UNCHANGED]
    current = await store.read("Patient", "p1")
    assert current is not None
    assert current.version == 1
    entry = await store.ledger_get(SENDER, "M2")
    assert entry is not None
    assert entry.touched == ()


async def test_changed_content_makes_a_new_version(ingestor: Ingestor, store: Store) -> None:
    await ingestor.apply(prepared("M1", patient("p1")))

    update = await ingestor.apply(prepared("M2", patient("p1", "Smith"), event_time=T0 + HOUR))

    assert [(t.change, t.version) for t in update.touched] == [(Change.UPDATED, 2)]
    assert (await body(store, "Patient", "p1"))["name"] == [{"family": "Smith", "given": ["Ann"]}]


async def test_duplicate_control_id_is_acknowledged_and_not_applied(
    ingestor: Ingestor, store: Store
) -> None:
    await ingestor.apply(prepared("M1", patient("p1")))

    resend = await ingestor.apply(prepared("M1", patient("p1", "Changed")))

    assert resend.outcome is Outcome.DUPLICATE
    assert b"MSA|AA|M1" in resend.ack
    assert [t.reference for t in resend.touched] == ["Patient/p1"]
    current = await store.read("Patient", "p1")
    assert current is not None
    assert current.version == 1


async def test_older_update_arriving_late_is_stale(ingestor: Ingestor, store: Store) -> None:
    await ingestor.apply(prepared("NEW", patient("p1", "Newer"), event_time=T0 + HOUR))

    late = await ingestor.apply(prepared("OLD", patient("p1", "Older"), event_time=T0))

    assert late.outcome is Outcome.STALE
    assert b"MSA|AA|OLD" in late.ack
    assert [t.change for t in late.touched] == [Change.STALE]
    assert (await body(store, "Patient", "p1"))["name"] == [{"family": "Newer", "given": ["Ann"]}]
    entry = await store.ledger_get(SENDER, "OLD")
    assert entry is not None
    assert entry.outcome == "stale"


async def test_stale_resource_beside_a_new_one(ingestor: Ingestor, store: Store) -> None:
    await ingestor.apply(prepared("NEW", patient("p1", "Newer"), event_time=T0 + HOUR))

    late = await ingestor.apply(
        prepared("OLD", patient("p1", "Older"), coverage("c1", "p1"), event_time=T0)
    )

    assert late.outcome is Outcome.APPLIED
    assert [t.change for t in late.touched] == [Change.STALE, Change.CREATED]


async def test_merge_links_both_and_later_messages_land_on_survivor(
    ingestor: Ingestor, store: Store
) -> None:
    await ingestor.apply(prepared("M1", patient("old")))
    await ingestor.apply(prepared("M2", patient("new")))

    merge = await ingestor.apply(
        prepared("M3", patient("new"), merges=[("new", "old")], event_time=T0 + HOUR)
    )

    assert merge.outcome is Outcome.APPLIED
    retired = await body(store, "Patient", "old")
    survivor = await body(store, "Patient", "new")
    assert retired["active"] is False
    assert retired["link"] == [{"other": {"reference": "Patient/new"}, "type": "replaced-by"}]
    assert survivor["link"] == [{"other": {"reference": "Patient/old"}, "type": "replaces"}]
    assert {"system": "urn:fhirport:id:north", "value": "OLD", "use": "old"} in survivor[
        "identifier"
    ]  # type: ignore[operator]

    later = await ingestor.apply(
        prepared("M4", patient("old", "Moved"), coverage("c1", "old"), event_time=T0 + 2 * HOUR)
    )

    assert [t.reference for t in later.touched] == ["Patient/new", "Coverage/c1"]
    assert any("merged into Patient/new" in w for w in later.warnings)
    survivor = await body(store, "Patient", "new")
    assert survivor["name"] == [{"family": "Moved", "given": ["Ann"]}]
    assert survivor["link"] == [{"other": {"reference": "Patient/old"}, "type": "replaces"}]
    values = [i["value"] for i in survivor["identifier"]]  # type: ignore[attr-defined]
    assert values == ["NEW", "OLD"]
    assert (await body(store, "Coverage", "c1"))["beneficiary"] == {"reference": "Patient/new"}
    assert (await body(store, "Patient", "old"))["active"] is False


async def test_merge_of_unknown_patient_creates_a_retired_record(
    ingestor: Ingestor, store: Store
) -> None:
    await ingestor.apply(prepared("M1", patient("new"), merges=[("new", "ghost")]))

    retired = await body(store, "Patient", "ghost")
    assert retired["active"] is False
    assert retired["link"] == [{"other": {"reference": "Patient/new"}, "type": "replaced-by"}]


async def test_cancel_then_delete_an_appointment(ingestor: Ingestor, store: Store) -> None:
    await ingestor.apply(prepared("S12", appointment("a1", "p1"), message_type="SIU^S12"))
    cancel = await ingestor.apply(
        prepared("S15", appointment("a1", "p1", "cancelled"), event_time=T0 + HOUR)
    )
    assert [t.change for t in cancel.touched] == [Change.UPDATED]
    assert (await body(store, "Appointment", "a1"))["status"] == "cancelled"

    delete = await ingestor.apply(
        prepared("S17", (appointment("a1", "p1"), Action.DELETE), event_time=T0 + 2 * HOUR)
    )

    assert [(t.change, t.version) for t in delete.touched] == [(Change.DELETED, 3)]
    current = await store.read("Appointment", "a1")
    assert current is not None
    assert current.deleted
    again = await ingestor.apply(
        prepared("S17b", (appointment("a1", "p1"), Action.DELETE), event_time=T0 + 3 * HOUR)
    )
    assert [t.change for t in again.touched] == [Change.UNCHANGED]


async def test_older_update_arriving_after_a_delete_leaves_it_deleted(
    ingestor: Ingestor, store: Store
) -> None:
    await ingestor.apply(prepared("S12", appointment("a1", "p1"), message_type="SIU^S12"))
    await ingestor.apply(
        prepared("S17", (appointment("a1", "p1"), Action.DELETE), event_time=T0 + 2 * HOUR)
    )

    late = await ingestor.apply(
        prepared("S14", appointment("a1", "p1", "booked"), event_time=T0 + HOUR)
    )

    assert late.outcome is Outcome.STALE
    assert [(t.change, t.version) for t in late.touched] == [(Change.STALE, 2)]
    current = await store.read("Appointment", "a1")
    assert current is not None
    assert (current.version, current.deleted, current.event_time) == (2, True, T0 + 2 * HOUR)
    rebooked = await ingestor.apply(
        prepared("S12b", appointment("a1", "p1"), event_time=T0 + 3 * HOUR)
    )
    assert [(t.change, t.version) for t in rebooked.touched] == [(Change.CREATED, 3)]


async def test_an_update_of_a_patient_not_on_file_creates_it_and_says_so(
    ingestor: Ingestor, store: Store
) -> None:
    first = await ingestor.apply(prepared("A08", (patient("p1"), Action.UPDATE)))

    assert [(t.reference, t.change) for t in first.touched] == [("Patient/p1", Change.CREATED)]
    assert "Patient/p1 was not on file: ADT^A08 created it" in first.warnings
    entry = await store.ledger_get(SENDER, "A08")
    assert entry is not None
    assert "Patient/p1 was not on file: ADT^A08 created it" in entry.warnings
    again = await ingestor.apply(
        prepared("A08b", (patient("p1", "Newer"), Action.UPDATE), event_time=T0 + HOUR)
    )
    assert [t.change for t in again.touched] == [Change.UPDATED]
    assert not any("not on file" in w for w in again.warnings)


async def test_create_only_never_overwrites(ingestor: Ingestor, store: Store) -> None:
    org = {"resourceType": "Organization", "id": "o1", "name": "Payer"}
    await ingestor.apply(prepared("M1", (org, Action.CREATE_ONLY)))

    again = await ingestor.apply(
        prepared("M2", ({**org, "name": "Other"}, Action.CREATE_ONLY), event_time=T0 + HOUR)
    )

    assert [t.change for t in again.touched] == [Change.UNCHANGED]
    assert (await body(store, "Organization", "o1"))["name"] == "Payer"


async def test_invalid_mapped_resource_fails_with_ae(ingestor: Ingestor, store: Store) -> None:
    outcome = await ingestor.apply(prepared("BAD", patient("p1", gender="sometimes")))

    assert outcome.outcome is Outcome.FAILED
    assert b"MSA|AE|BAD" in outcome.ack
    assert b"ERR|" in outcome.ack
    assert outcome.reason is not None
    assert "gender" in outcome.reason
    assert await store.read("Patient", "p1") is None
    entry = await store.ledger_get(SENDER, "BAD")
    assert entry is not None
    assert entry.outcome == "failed"
    assert entry.raw.startswith(b"MSH|")


async def test_refused_message_is_ledgered_and_a_resend_is_processed(
    ingestor: Ingestor, store: Store
) -> None:
    refused = prepared("R1", patient("p1"))
    refused.failure = Failure(Outcome.REJECTED, "Message type ZZZ^Z01 is not supported", "200")

    outcome = await ingestor.apply(refused)

    assert outcome.outcome is Outcome.REJECTED
    assert b"MSA|AR|R1" in outcome.ack
    assert b"ERR|||200^Unsupported message type" in outcome.ack
    assert b"ZZZ\\S\\Z01 is not supported" in outcome.ack
    entry = await store.ledger_get(SENDER, "R1")
    assert entry is not None
    assert entry.outcome == "rejected"
    fixed = await ingestor.apply(prepared("R1", patient("p1")))
    assert fixed.outcome is Outcome.APPLIED


async def test_dry_run_writes_nothing(ingestor: Ingestor, store: Store) -> None:
    outcome = await ingestor.apply(prepared("D1", patient("p1")), dry_run=True)

    assert outcome.outcome is Outcome.APPLIED
    assert [reference for reference, _ in outcome.planned] == ["Patient/p1"]
    assert await store.read("Patient", "p1") is None
    assert await store.ledger_get(SENDER, "D1") is None


class FailingStore:
    """Delegates to a real store, adding a write that conflicts to every multi-write."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def write(self, writes: Sequence[Write], ledger: LedgerEntry | None = None) -> None:
        if not writes:
            await self.inner.write(writes, ledger)
            return
        broken = Write(writes[0].version, expected_version=99, index=None)
        try:
            await self.inner.write([*writes, broken], ledger)
        except VersionConflict:
            raise OSError("disk went away") from None


async def test_a_failed_write_leaves_neither_resources_nor_ledger(
    store: Store, store_url: str
) -> None:
    if store_url == "memory://":
        pytest.skip("mongomock has no transactions: MongoStore is atomic only on a replica set")
    ingestor = Ingestor(service_on(FailingStore(store)))  # type: ignore[arg-type]

    outcome = await ingestor.ingest_prepared(prepared("M1", patient("p1"), coverage("c1", "p1")))

    assert outcome.outcome is Outcome.FAILED
    assert b"MSA|AE|M1" in outcome.ack
    assert await store.read("Patient", "p1") is None
    assert await store.read("Coverage", "c1") is None
    assert await store.ledger_get(SENDER, "M1") is None


async def test_a_reused_control_id_with_other_content_is_not_a_duplicate(
    ingestor: Ingestor, store: Store
) -> None:
    await ingestor.apply(prepared("M1", patient("p1")))
    reused = prepared("M1", patient("p2"))
    reused.header = replace(reused.header, raw=reused.header.raw + b"PID|1||P2\r")

    outcome = await ingestor.apply(reused)

    assert outcome.outcome is Outcome.APPLIED
    assert outcome.header.control_id.startswith("M1~")
    assert any("used before by a different message" in w for w in outcome.warnings)
    assert b"MSA|AA|M1" in outcome.ack
    first = await store.ledger_get(SENDER, "M1")
    second = await store.ledger_get(SENDER, outcome.header.control_id)
    assert first is not None
    assert second is not None
    assert second.raw.endswith(b"PID|1||P2\r")
    meta = (await body(store, "Patient", "p2"))["meta"]
    assert isinstance(meta, dict)
    assert meta["source"] == f"urn:hl7v2:LEGACY|NORTH#{outcome.header.control_id}"
    again = prepared("M1", patient("p2"))
    again.header = replace(again.header, raw=reused.header.raw.replace(b"\r", b"\n"))
    assert (await ingestor.apply(again)).outcome is Outcome.DUPLICATE

"""The HL7v2 ingest pipeline: bytes -> parse -> map -> resolve -> write -> outcome and ACK.

``Ingestor.ingest`` takes one message; ``prepare`` (parse and map, no I/O) and
``Ingestor.apply`` (resolve against the store, write) are separate so an importer can
run ``prepare`` in worker processes and keep the writes in one place.

Guarantees:
- a message is applied and recorded in the ledger in one atomic ``Store.write``, or
  neither (the ledger entry holds the raw message, touched references, unmapped
  fields and warnings); the AA ACK is built only after that write committed;
- the same (sender, MSH-10) already recorded as accepted is a ``duplicate``: AA with
  the original outcome, nothing written;
- AE/AR messages are ledgered too (``failed``/``rejected``, raw kept) for operators;
  a resend of one is processed again;
- every written resource is validated, stamped, indexed and names its message in
  ``meta.source`` (ingest_provenance).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import partial
from typing import Literal

from mappers.config import MappingConfig
from mappers.result import MappingResult
from server.errors import FhirError, InvalidResource
from server.fhir.validation import validate_resource
from server.hl7v2.ingest.ack import build_ack
from server.hl7v2.ingest.bookings import IngestedBookings, refusal
from server.hl7v2.ingest.follow_merges import pin_patients, unread_patients
from server.hl7v2.ingest.ledger import duplicate, ledger_entry, previous_entry
from server.hl7v2.ingest.model import (
    Change,
    Failure,
    IngestOutcome,
    Outcome,
    Prepared,
    Touched,
)
from server.hl7v2.ingest.plan import KnownCreateOnly, Plan, PlannedResource, plan_message
from server.hl7v2.ingest.prepare import invalid, prepare
from server.hl7v2.ingest.reads import BatchedLedger, BatchedReader
from server.hl7v2.ingest.repoint import referrers_in, repoint_stragglers
from server.hl7v2.ingest.schedule import MessageKeys, OrderedScheduler
from server.hl7v2.ingest.tally import OutcomeTally
from server.hl7v2.ingest.unchanged import SameAsStored
from server.interactions import ResourceService
from server.keyed_lock import KeyedLock
from server.storage.port import Method, VersionConflict, Write
from server.versions import next_version

log = logging.getLogger("fhirport.hl7")

OutOfScope = Literal["ack", "reject"]
_MAX_ATTEMPTS = 8
_IN_FLIGHT = 64  # messages of one request applied at once


class Ingestor:
    """Applies HL7v2 messages to the store behind a ResourceService."""

    def __init__(
        self,
        service: ResourceService,
        config: MappingConfig | None = None,
        *,
        remember_create_only: bool = False,
        out_of_scope: OutOfScope = "reject",
    ) -> None:
        """``remember_create_only``: do not re-read create-only resources known to exist
        (a bulk import, which owns the store for its run: see ``KnownCreateOnly``).
        ``out_of_scope``: answer a message type fhirport does not map AR with the reason
        (``reject``) or AA (``ack``); either way it is kept raw in the ledger."""
        self.service = service
        self.out_of_scope = out_of_scope
        self.store = service.store
        self.config = config or MappingConfig()
        self.known = KnownCreateOnly() if remember_create_only else None
        self.unchanged = SameAsStored()  # mapped resources found equal to a stored version
        self.reader = BatchedReader(self.store)
        self.ledger = BatchedLedger(self.store)  # the in-flight messages' duplicate checks
        self.referrers = referrers_in(self.store)  # what a merge moves
        # One message per (sender, MSH-10) at a time: a resend racing its original is a
        # duplicate, not a second application.
        self._messages = KeyedLock()
        self.tally = OutcomeTally()  # what /metrics reports

    async def ingest(self, data: bytes, *, dry_run: bool = False) -> IngestOutcome:
        """Parse, map and apply one message; return its outcome and ACK."""
        return await self.ingest_prepared(prepare(data, self.config), dry_run=dry_run)

    async def ingest_many(
        self, messages: Sequence[bytes], *, dry_run: bool = False
    ) -> list[IngestOutcome]:
        """Ingest messages concurrently (group commit), in arrival order per resource."""
        scheduler = OrderedScheduler(_IN_FLIGHT)
        message_keys = MessageKeys()
        tasks = []
        for data in messages:
            prepared = prepare(data, self.config)
            job = partial(self.ingest_prepared, prepared, dry_run=dry_run)
            tasks.append(await scheduler.submit(message_keys(prepared), job))
        return list(await asyncio.gather(*tasks))

    async def ingest_prepared(self, prepared: Prepared, *, dry_run: bool = False) -> IngestOutcome:
        """Apply a prepared message; a store failure is answered AE, never raised."""
        try:
            outcome = await self.apply(prepared, dry_run=dry_run)
        except Exception:
            # Nothing was committed (writes are atomic) and nothing is acknowledged: the
            # sender keeps the message and resends it.
            log.exception("Cannot store message %s", prepared.header.control_id)
            failure = Failure(Outcome.FAILED, "The message could not be stored; send it again")
            outcome = self._refusal(prepared, failure, [])
        if not dry_run:
            self.tally.count(outcome.header.message_type, outcome.outcome.value)
        return outcome

    async def apply(self, prepared: Prepared, *, dry_run: bool = False) -> IngestOutcome:
        """Apply a prepared message (or, with ``dry_run``, only plan it: nothing is written)."""
        header = prepared.header
        async with self._messages.hold((header.sender, header.control_id)):
            if not dry_run:
                prepared, previous = await previous_entry(self.ledger, prepared)
                if previous is not None:
                    return duplicate(prepared, previous)
            if prepared.failure is not None:
                return await self._refuse(prepared, prepared.failure, [], dry_run)
            assert prepared.result is not None
            return await self._apply_mapped(prepared, prepared.result, dry_run)

    async def _apply_mapped(
        self, prepared: Prepared, result: MappingResult, dry_run: bool
    ) -> IngestOutcome:
        header = prepared.header
        for _ in range(_MAX_ATTEMPTS):
            plan = await plan_message(
                self.reader,
                header,
                result,
                validated=prepared.validated,
                known=self.known,
                referrers=self.referrers,
                unchanged=self.unchanged,
            )
            try:
                _validate(plan)
            except InvalidResource as exc:
                return await self._refuse(prepared, invalid(exc), plan.warnings, dry_run)
            bookings = IngestedBookings(self.service.hold_rules)  # no double-booking, Slots
            try:
                # A merge moves the retired patient's appointments as they are: duplicate
                # records often hold the same visit twice, and refusing the overlap would
                # leave the duplicates unmerged. Their holds move to the survivor.
                if not result.merges:
                    await bookings.plan(plan.resources)
                else:
                    await bookings.moved(plan.resources)
            except FhirError as exc:
                return await self._refuse(prepared, refusal(exc), plan.warnings, dry_run)
            writes = {} if dry_run else self._writes(plan, header.event_time)
            # What the pins do not cover (a Patient the plan did not read) is looked at
            # again after the commit.
            unpinned = False
            if writes and not result.merges and self.service.follow_merges is not None:
                unpinned = bool(unread_patients(writes, plan.patients))
                writes = pin_patients(writes, plan.patients)
            touched = [_touched(p, writes) for p in plan.resources]
            changed = [t for t in touched if t.change.writes]
            stale = any(t.change is Change.STALE for t in touched)
            outcome = Outcome.STALE if stale and not changed else Outcome.APPLIED
            warnings = [*prepared.notes, *result.warnings, *plan.warnings]
            if dry_run:
                return self._outcome(prepared, outcome, touched, warnings, plan=plan)
            entry = ledger_entry(prepared, outcome, changed, result.unmapped, warnings)
            try:
                commit = partial(self.service.commit, ledger=entry, origin=header.sender)
                await bookings.commit(writes, commit)
            except VersionConflict:
                continue  # another writer got there first: plan again from fresh reads
            except FhirError as exc:
                return await self._refuse(prepared, refusal(exc), plan.warnings, dry_run)
            if self.known is not None:
                for write in writes.values():
                    self.known.forget((write.version.resource_type, write.version.id))
            if result.merges and changed:
                retired = (old for _, old in result.merges)
                await repoint_stragglers(self.service, self.referrers, retired)
            elif unpinned:
                for write in writes.values():
                    await self.service.follow_late_merges(write.version)
            return self._outcome(prepared, outcome, touched, warnings)
        failure = Failure(Outcome.FAILED, "The resources are being changed by other writers")
        return await self._refuse(prepared, failure, [], dry_run)

    def _writes(self, plan: Plan, event_time: int | None) -> dict[str, Write]:
        """Stamp and index every planned change; keyed by reference.

        Each version keeps its event time (the message's ``event_time``, or the stored
        one for a stored body a merge only patched), which the planning of later
        messages compares theirs with, and who owns its parts (ingest_ownership).
        """
        writes: dict[str, Write] = {}
        for item in plan.resources:
            if not item.change.writes:
                continue
            writes[item.reference] = next_version(
                item.resource_type,
                item.id,
                item.current,
                item.body,
                Method.DELETE if item.body is None else Method.PUT,
                self.service.indexer,
                event_time=item.event_time if item.body is not None else event_time,
                owners=item.owners,
            )
        return writes

    async def _refuse(
        self, prepared: Prepared, failure: Failure, warnings: list[str], dry_run: bool
    ) -> IngestOutcome:
        """Record an AE/AR message in the ledger (raw kept) and answer it.

        If even that write fails, the error propagates: the answer becomes "could not be
        stored; send it again", so the message is never dropped without a trace.
        """
        outcome = self._refusal(prepared, failure, warnings)
        if not dry_run:
            entry = ledger_entry(
                prepared, failure.outcome, [], outcome.unmapped, [*outcome.warnings, failure.reason]
            )
            await self.store.write([], entry)
        return outcome

    def _refusal(self, prepared: Prepared, failure: Failure, warnings: list[str]) -> IngestOutcome:
        """The outcome of a message that is answered AE or AR."""
        result = prepared.result
        all_warnings = [*prepared.notes, *(result.warnings if result else []), *warnings]
        outcome = self._outcome(prepared, failure.outcome, [], all_warnings)
        outcome.reason = failure.reason
        outcome.error_code = failure.code
        outcome.error_location = failure.location
        outcome.make_ack = partial(build_ack, prepared, failure.outcome, failure)
        if failure.outcome is Outcome.OUT_OF_SCOPE and self.out_of_scope == "ack":
            outcome.ack_override = "AA"
            text = f"Not mapped, kept in the ledger: {failure.reason}"
            outcome.make_ack = partial(
                build_ack, prepared, failure.outcome, None, code_override="AA", text=text
            )
        return outcome

    @staticmethod
    def _outcome(
        prepared: Prepared,
        outcome: Outcome,
        touched: list[Touched],
        warnings: list[str],
        *,
        plan: Plan | None = None,
    ) -> IngestOutcome:
        result = prepared.result
        return IngestOutcome(
            header=prepared.header,
            outcome=outcome,
            make_ack=partial(build_ack, prepared, outcome, None),
            touched=touched,
            unmapped=list(result.unmapped) if result else [],
            warnings=warnings,
            vocabulary_gaps=list(result.vocabulary_gaps) if result else [],
            planned=[(p.reference, p.body) for p in plan.resources if _would_send(p)]
            if plan
            else [],
        )


def _validate(plan: Plan) -> None:
    """Validate every body the plan writes that was not validated when prepared."""
    for item in plan.resources:
        if item.change.writes and item.body is not None and not item.validated:
            validate_resource(item.body, item.resource_type)


def _would_send(item: PlannedResource) -> bool:
    return item.change is not Change.STALE and (item.body is not None or item.change.writes)


def _touched(item: PlannedResource, writes: dict[str, Write]) -> Touched:
    write = writes.get(item.reference)
    if write is not None:
        return Touched(item.reference, item.change, write.version.version)
    current = item.current
    return Touched(item.reference, item.change, current.version if current else None)

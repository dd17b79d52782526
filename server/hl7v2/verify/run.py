"""Verify a store against an archive: read, look up the ledger, settle, report.

Messages go to the ledger in batches (one ``ledger_get_many`` each); a message whose
MSH-10 its sender had used for another message is found under the key the import
gave it (``distinct_control_id``). Only messages the ledger records as ``applied``
are checked; the others are counted by their outcome, as are messages the ledger
does not know and repeats of a message already read.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, partial
from pathlib import Path

from mappers.config import MappingConfig
from server.hl7v2.ingest.importer import Located, bulk_collection, opened_store
from server.hl7v2.ingest.ledger import distinct_control_id, same_message
from server.hl7v2.verify.expectations import Expectations, ResourceChecks, expectations_of
from server.hl7v2.verify.identities import Identities
from server.hl7v2.verify.reading import read_expectations
from server.hl7v2.verify.report import Sent, VerifyReport
from server.hl7v2.verify.tracking import Tracker
from server.storage.port import LedgerEntry, Store

_LEDGER_BATCH = 1000

Read = tuple[Located, Expectations]


class Verification:
    """One verification run over a store."""

    def __init__(self, store: Store, files: Sequence[Path], config: MappingConfig) -> None:
        self.store = store
        self.config = config
        self.report = VerifyReport([str(f) for f in files])
        self.tracker = Tracker(self.report)
        self.identities = Identities()
        self.seen: set[tuple[str, str]] = set()

    async def take(self, batch: list[Read]) -> None:
        """Look up a batch of messages in the ledger and settle the applied ones."""
        entries = await self._entries(batch)
        for (located, expected), entry in zip(batch, entries, strict=True):
            self.report.messages += 1
            if entry is None:
                self.report.skipped["not-in-ledger"] += 1
                continue
            if (entry.sender, entry.control_id) in self.seen:
                self.report.skipped["repeated-in-archive"] += 1
                continue
            self.seen.add((entry.sender, entry.control_id))
            if entry.outcome != "applied":
                self.report.skipped[entry.outcome] += 1
                continue
            sent = _sent(located, entry, self.report.messages)
            self.report.verified[sent.message_type] += 1
            if expected.failure is not None:
                self.report.unverifiable(
                    sent, f"applied, but does not map now ({expected.failure}): another --vocab?"
                )
                continue
            self.tracker.add(sent, expected.resources, cache(partial(self._all_checks, located)))
            self.identities.add(expected.identifiers)

    def _all_checks(self, located: Located) -> list[ResourceChecks]:
        return expectations_of(located.raw.data, self.config).resources

    async def _entries(self, batch: list[Read]) -> list[LedgerEntry | None]:
        keys = [(e.sender, e.control_id) for _, e in batch]
        found = await self.store.ledger_get_many(keys)
        entries = [found[key] for key in keys]
        # A reused MSH-10: the import keyed the later message by its content too.
        reused = {
            i: (key[0], distinct_control_id(key[1], located.raw.data))
            for i, ((located, _), key, entry) in enumerate(zip(batch, keys, entries, strict=True))
            if entry is not None and not same_message(entry.raw, located.raw.data)
        }
        if reused:
            again = await self.store.ledger_get_many(list(reused.values()))
            for i, key in reused.items():
                entries[i] = again[key]
        return entries

    async def finish(self) -> VerifyReport:
        await self.tracker.finish(self.store)
        self.report.patients = await self.identities.resolve(self.store)
        self.report.finish()
        return self.report


def _sent(located: Located, entry: LedgerEntry, sequence: int) -> Sent:
    touched = {}
    for written in entry.touched:
        reference, _, version = written.partition("/_history/")
        if version.isdigit():
            touched[reference] = int(version)
    return Sent(
        file=str(located.path),
        index=located.raw.index,
        sender=entry.sender,
        control_id=entry.control_id,
        message_type=entry.message_type,
        event_time=entry.event_time,
        received=entry.received,
        touched=touched,
        sequence=sequence,
    )


async def verify_archive(
    files: Sequence[Path], store: Store, config: MappingConfig, *, workers: int = 1
) -> VerifyReport:
    """Verify that ``store`` holds what the messages of ``files`` sent; return the report."""
    verification = Verification(store, files, config)
    batch: list[Read] = []
    async for pair in read_expectations(files, config, workers):
        batch.append(pair)
        if len(batch) >= _LEDGER_BATCH:
            await verification.take(batch)
            batch = []
    if batch:
        await verification.take(batch)
    return await verification.finish()


async def run_verify(
    files: Sequence[Path], store_url: str, config: MappingConfig, *, workers: int = 1
) -> VerifyReport:
    """Open the store at ``store_url``, verify ``files`` against it, close it.

    Garbage is collected less often meanwhile: what is kept until the end (the value
    each element must hold) grows with the archive, and every collection would walk it.
    """
    with bulk_collection():
        async with opened_store(store_url) as store:
            return await verify_archive(files, store, config, workers=workers)

"""The pipeline's side of the message ledger: entries, duplicates, and reused control ids.

A message is a duplicate when its sender already sent the same message under the same
MSH-10 and it was accepted. Legacy systems also reuse control ids (counters that
wrap or reset, test templates): a *different* message under a used MSH-10 is not a
duplicate. It is keyed ``{MSH-10}~{content digest}`` instead, so both stay in the
ledger with their raw bytes (accepted or refused) and a re-import still recognises
each of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import partial

from server.fhir.clock import now_us
from server.hl7v2.ingest.ack import build_ack
from server.hl7v2.ingest.model import Change, IngestOutcome, Outcome, Prepared, Touched
from server.hl7v2.ingest.reads import LedgerReader
from server.storage.port import LedgerEntry

ACCEPTED = frozenset(o.value for o in Outcome if o.accepted)


def same_message(first: bytes, second: bytes) -> bool:
    """Whether two raw messages are the same (segment separators and trailing blanks aside)."""
    return _normalized(first) == _normalized(second)


def distinct_control_id(control_id: str, raw: bytes) -> str:
    """The ledger key of a message whose MSH-10 its sender used before for another one."""
    return f"{control_id}~{hashlib.sha256(_normalized(raw)).hexdigest()[:12]}"


def _normalized(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\r").replace(b"\n", b"\r").strip(b"\r\n\t \x0b\x1c")


async def previous_entry(
    store: LedgerReader, prepared: Prepared
) -> tuple[Prepared, LedgerEntry | None]:
    """Return the message keyed for the ledger, and its entry if it was accepted before.

    A refused message sent again (the same bytes) is processed again; its new outcome
    replaces the old entry, and nothing is lost since the raw message is the same.
    """
    header = prepared.header
    previous = await store.ledger_get(header.sender, header.control_id)
    if previous is not None and not same_message(previous.raw, header.raw):
        distinct = distinct_control_id(header.control_id, header.raw)
        prepared = replace(
            prepared,
            header=replace(header, control_id=distinct),
            notes=[
                *prepared.notes,
                f"MSH-10 {header.control_id!r} was used before by a different message from "
                f"this sender; recorded as {distinct}",
            ],
        )
        previous = await store.ledger_get(header.sender, prepared.header.control_id)
    if previous is None or previous.outcome not in ACCEPTED:
        return prepared, None
    return prepared, previous


def ledger_entry(
    prepared: Prepared,
    outcome: Outcome,
    changed: list[Touched],
    unmapped: list[str],
    warnings: list[str],
) -> LedgerEntry:
    """The ledger entry of a message: raw bytes, what it wrote, what it left unmapped."""
    header = prepared.header
    return LedgerEntry(
        sender=header.sender,
        control_id=header.control_id,
        received=now_us(),
        message_type=header.message_type,
        event_time=header.event_time,
        outcome=outcome.value,
        raw=header.raw,
        touched=tuple(f"{t.reference}/_history/{t.version}" for t in changed),
        unmapped=tuple(unmapped),
        warnings=tuple(warnings),
    )


def duplicate(prepared: Prepared, previous: LedgerEntry) -> IngestOutcome:
    """Answer a resend with the original outcome; nothing is written."""
    touched = [
        Touched(ref.split("/_history/")[0], Change.UNCHANGED, _version_of(ref))
        for ref in previous.touched
    ]
    return IngestOutcome(
        header=prepared.header,
        outcome=Outcome.DUPLICATE,
        make_ack=partial(build_ack, prepared, Outcome.DUPLICATE, None),
        touched=touched,
        unmapped=list(previous.unmapped),
        warnings=list(previous.warnings),
        reason=f"Already received: {previous.outcome}",
    )


def _version_of(reference: str) -> int | None:
    _, _, version = reference.partition("/_history/")
    return int(version) if version.isdigit() else None

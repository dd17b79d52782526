"""What the ingest pipeline knows about a message, and what it tells the sender.

A message goes through two steps. ``prepare`` (pure CPU, safe in a worker process)
parses and maps it into a :class:`Prepared`; ``apply`` resolves identities against
the store, writes, and returns an :class:`IngestOutcome` with the ACK to send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from mappers.result import MappingResult


class Outcome(StrEnum):
    """What happened to one message (kept in the ledger)."""

    APPLIED = "applied"  # written (or every resource already held the same content)
    DUPLICATE = "duplicate"  # the same (sender, MSH-10) was already recorded; nothing written
    STALE = "stale"  # the store holds newer events for everything the message touches
    REJECTED = "rejected"  # AR: unparseable, or a message type out of scope
    FAILED = "failed"  # AE: a mapping or validation error
    # A message type fhirport does not map (ORU, VXU, MDM without CON): kept raw in the
    # ledger, not an error; answered AR with the reason, or AA (``--out-of-scope ack``).
    OUT_OF_SCOPE = "out-of-scope"

    @property
    def ack_code(self) -> str:
        """The MSA-1 acknowledgment code for this outcome."""
        return _ACK_CODES[self]

    @property
    def accepted(self) -> bool:
        """True when the sender must not resend (MSA AA)."""
        return self in (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.STALE)

    @property
    def refused(self) -> bool:
        """True for the errors an operator must look at (dead letter, exit status 1)."""
        return self in (Outcome.REJECTED, Outcome.FAILED)


_ACK_CODES: dict[Outcome, str] = {
    Outcome.APPLIED: "AA",
    Outcome.DUPLICATE: "AA",
    Outcome.STALE: "AA",
    Outcome.REJECTED: "AR",
    Outcome.FAILED: "AE",
    Outcome.OUT_OF_SCOPE: "AR",
}


class Change(StrEnum):
    """What happened to one resource a message maps to."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # the stored content is the same (meta aside): no new version
    DELETED = "deleted"
    STALE = "stale"  # the stored version comes from a newer event: kept as it is

    @property
    def writes(self) -> bool:
        return self in (Change.CREATED, Change.UPDATED, Change.DELETED)


@dataclass(frozen=True, slots=True)
class Touched:
    """One resource of a message and what happened to it."""

    reference: str  # Type/id
    change: Change
    version: int | None = None  # the version written, or the stored one when not written


@dataclass(frozen=True, slots=True)
class Header:
    """The MSH facts the pipeline needs, without the parsed message."""

    sender: str  # "MSH-3|MSH-4", the first half of the ledger key
    control_id: str  # MSH-10
    message_type: str  # e.g. ADT^A08
    event_time: int | None  # EVN-2, else MSH-7, microseconds since the epoch (UTC)
    raw: bytes


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a message was not mapped: the ERR segment's content."""

    outcome: Outcome  # REJECTED or FAILED
    reason: str
    code: str = "207"  # HL7 table 0357
    location: str | None = None  # ERR-2, e.g. PID^1^3


@dataclass(slots=True)
class Prepared:
    """A parsed and mapped message, ready to be applied (picklable)."""

    header: Header
    result: MappingResult | None = None
    failure: Failure | None = None
    # The MSH segment's ER7 text, so the ACK can be built without the parsed message.
    msh: str = ""
    # Where the message came from in a file import (file path, index in the file).
    source: tuple[str, int] | None = None
    # Every mapped resource already passed validation (prepare does it, in the worker).
    validated: bool = False
    # Warnings about the message itself (not the mapping), e.g. a reused MSH-10.
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class IngestOutcome:
    """The pipeline's answer for one message."""

    header: Header
    outcome: Outcome
    # Builds the ACK on demand: the MLLP listener needs it, a file import does not.
    make_ack: Callable[[], bytes]
    touched: list[Touched] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # (HL7 table, code) of each local code no vocabulary maps (MappingResult's).
    vocabulary_gaps: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    error_code: str | None = None
    error_location: str | None = None
    # The resources as they would be written (dry runs fill it; writes leave it empty).
    planned: list[tuple[str, dict[str, object] | None]] = field(default_factory=list)
    # MSA-1 when it is not the outcome's own (an out-of-scope message acknowledged AA).
    ack_override: str | None = None

    @property
    def ack_code(self) -> str:
        """The MSA-1 code this message is answered with."""
        return self.ack_override or self.outcome.ack_code

    @property
    def ack(self) -> bytes:
        """The ACK message to send back (MSA with this outcome's code, ERR if refused)."""
        return self.make_ack()

    @property
    def written(self) -> list[Touched]:
        """The resources this message created, updated or deleted."""
        return [t for t in self.touched if t.change.writes]

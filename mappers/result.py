"""What a mapper returns: FHIR resources with deterministic ids, and what it did not use.

Mappers are pure functions (parsed message in, MappingResult out, no I/O). Identity
resolution against the store, out-of-order protection and writing happen afterwards
in one place, the ingest pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mappers.fields import FieldReport


class Action(StrEnum):
    """What the pipeline should do with a mapped resource."""

    UPSERT = "upsert"  # create, or replace the current version (if this message is newer)
    # An UPSERT from a message that updates what it expects on file (ADT^A08/A31): the
    # data is kept all the same, and a creation is reported (the registration is missing).
    UPDATE = "update"
    CREATE_ONLY = "create-only"  # create if absent, never overwrite (e.g. a payer Organization)
    DELETE = "delete"  # e.g. SIU^S17 deletes an appointment


@dataclass(slots=True)
class MappedResource:
    """One resource produced from a message."""

    resource: dict[str, Any]  # a complete FHIR resource; "id" is deterministic (mappers.identity)
    action: Action = Action.UPSERT
    business_key: str = ""  # human-readable key the id was derived from, for reports
    # Which fields were sent and which produced what (mappers.fields): the ingest
    # merges them with the stored resource. None: the resource is the whole truth.
    fields: FieldReport | None = None


@dataclass(slots=True)
class MappingResult:
    """Everything one message maps to."""

    resources: list[MappedResource] = field(default_factory=list)
    # Merges: (surviving Patient id, retired Patient id) pairs from MRG segments.
    merges: list[tuple[str, str]] = field(default_factory=list)
    # Links (ADT^A24) and their undoing (A37): pairs of Patient ids.
    links: list[tuple[str, str]] = field(default_factory=list)
    unlinks: list[tuple[str, str]] = field(default_factory=list)
    # "ZPI" for a whole segment, "PID-13" or "PID-13.4" for a field the mapping ignored.
    unmapped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Codes no vocabulary maps to their HL7 table, as (table, code): kept in the sender's
    # local code system, and reported so that the site's vocabulary can be completed.
    vocabulary_gaps: list[tuple[str, str]] = field(default_factory=list)
    # When the event happened (EVN-2, else MSH-7): a FHIR dateTime as the message gave it,
    # and the same moment in microseconds since the epoch (UTC), for out-of-order checks.
    event_time: str | None = None
    event_epoch_us: int | None = None

    def add(
        self,
        resource: dict[str, Any],
        action: Action = Action.UPSERT,
        key: str = "",
        fields: FieldReport | None = None,
    ) -> None:
        self.resources.append(MappedResource(resource, action, key, fields))


class MappingError(Exception):
    """The message cannot be mapped (answered AE with this reason).

    ``code`` is an HL7 table 0357 error code; ``location`` an ERR-2 style location
    such as "PID^1^3".
    """

    def __init__(self, reason: str, *, code: str = "207", location: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.location = location


class UnsupportedMessage(MappingError):
    """A message type or event outside the mappers' scope (answered AR)."""

    def __init__(self, reason: str, *, code: str = "200") -> None:
        super().__init__(reason, code=code)

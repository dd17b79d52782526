"""What one message says the store must hold: its checks, made from the mapping alone.

Pure CPU, no I/O, picklable (it runs in worker processes). The message is mapped
exactly as the import mapped it (``prepare_message``); each mapped resource then
gives its checks:

- a resource with a field report (Patient, Encounter, Coverage, NK1's RelatedPerson)
  one per field the message carried (``mappers.fields``): a single-valued element's
  value (``VALUE``), the parts of a repeating element that field owns (``PARTS``),
  the value a field put inside another's part (``ATTACHED``, PID-12's county);
- a resource mapped whole (Appointment, Claim, Consent; a create-only resource the
  message created) one per top-level element (``ELEMENT``), or that it is deleted;
- a merge, that the retired Patient is ``replaced-by`` the survivor (``MERGED``).

``unit`` names what a later message replaces together: the element of a
single-valued feed, a field's parts, or the whole resource (``*``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

import orjson

from hl7.er7 import Message, ParseError, parse
from mappers.config import MappingConfig
from mappers.context import MapContext
from mappers.fields import FieldReport, FieldState, detach_key, value_at
from mappers.result import Action, MappedResource, MappingError, MappingResult
from mappers.segments.pid import patient_id
from server.hl7v2.ingest.ownership import digest
from server.hl7v2.ingest.prepare import prepare, prepare_message

WHOLE = "*"
_NOT_CONTENT = frozenset({"resourceType", "id", "meta"})


class Kind(StrEnum):
    """What a check compares."""

    VALUE = "value"
    PARTS = "parts"
    ATTACHED = "attached"
    ELEMENT = "element"
    DELETED = "deleted"
    MERGED = "merged"


class Check(NamedTuple):
    """One value a message sent, as the store must hold it (``check`` makes one)."""

    kind: str  # a Kind
    label: str  # the v2 field ("PID-8"), or "Type.element" for a resource mapped whole
    element: str  # the FHIR element (a dotted path)
    unit: str  # what a later message replaces together
    expected: Any  # JSON-able
    digests: tuple[str, ...]  # PARTS: ownership digests of the expected parts
    # VALUE: the feed's keys; ATTACHED, PARTS: the key a field attaches into a part
    keys: tuple[str, ...]
    fingerprint: str  # equal for equal values: compared between messages, made once


def check(
    kind: Kind,
    label: str,
    element: str,
    unit: str,
    expected: Any,
    digests: tuple[str, ...] = (),
    keys: tuple[str, ...] = (),
) -> Check:
    """A check, with its fingerprint."""
    value = sorted(digests) if kind is Kind.PARTS else expected
    return Check(kind, label, element, unit, expected, digests, keys, digest(value))


def expecting(found: Check, value: Any) -> Check:
    """The same check, expecting another value."""
    return check(
        Kind(found.kind), found.label, found.element, found.unit, value, found.digests, found.keys
    )


class ResourceChecks(NamedTuple):
    """The checks of one mapped resource (by the id the mapper gave it)."""

    resource_type: str
    resource_id: str
    create_only: bool  # checked only if this message created it
    checks: tuple[Check, ...]


class PatientIdentifier(NamedTuple):
    """A PID-3 identifier (CX.1 and CX.4) and the Patient id the message mapped it to."""

    value: str
    authority: str
    patient_id: str


class Expectations(NamedTuple):
    """Everything one message says about the store.

    Plain tuples, so that a worker's answer travels as JSON (``encode``, ``decode``):
    unpickling objects cost the reading process more than the comparison itself.
    """

    sender: str
    control_id: str
    message_type: str
    event_time: int | None
    failure: str | None  # the outcome when the message does not map
    resources: list[ResourceChecks]
    identifiers: list[PatientIdentifier]

    def encode(self) -> bytes:
        return orjson.dumps(self, default=tuple)

    @classmethod
    def decode(cls, data: bytes) -> Expectations:
        sender, control_id, message_type, event_time, failure, resources, identifiers = (
            orjson.loads(data)
        )
        return cls(
            sender,
            control_id,
            message_type,
            event_time,
            failure,
            [
                ResourceChecks(t, i, c, tuple(Check(*item) for item in checks))
                for t, i, c, checks in resources
            ],
            [PatientIdentifier(*item) for item in identifiers],
        )


def expectations_of(
    data: bytes, config: MappingConfig, *, create_only: bool = True
) -> Expectations:
    """Parse and map ``data`` as the import did; return what the store must hold.

    ``create_only`` False leaves out the checks of create-only resources (their
    ``ResourceChecks`` come empty): only the message that created one is checked on
    it, and that is known only from the ledger, so the few that did are mapped again.
    """
    try:
        message: Message | None = parse(data)
    except ParseError:
        message = None
    prepared = prepare_message(message, data, config) if message else prepare(data, config)
    header = prepared.header
    facts = (header.sender, header.control_id, header.message_type, header.event_time)
    if prepared.failure is not None or prepared.result is None or message is None:
        failure = prepared.failure.outcome.value if prepared.failure else "failed"
        return Expectations(*facts, failure, [], [])
    result = prepared.result
    checks = checks_of(result, create_only=create_only)
    return Expectations(*facts, None, checks, identifiers_of(message, config, result))


def expect_chunk(chunk: list[bytes], config: MappingConfig) -> list[bytes]:
    """``expectations_of`` for a list of messages, encoded (a worker's task)."""
    return [expectations_of(data, config, create_only=False).encode() for data in chunk]


def checks_of(result: MappingResult, *, create_only: bool = True) -> list[ResourceChecks]:
    """The checks of every resource of a mapping (``create_only``: of those too), and of
    its merges."""
    found = [_resource_checks(mapped, create_only) for mapped in result.resources]
    for survivor, retired in result.merges:
        merged = check(Kind.MERGED, "MRG-1", "link", "merged", survivor)
        found.append(ResourceChecks("Patient", retired, False, (merged,)))
    return found


def _resource_checks(mapped: MappedResource, with_create_only: bool) -> ResourceChecks:
    resource = mapped.resource
    resource_type, resource_id = str(resource["resourceType"]), str(resource["id"])
    create_only = mapped.action is Action.CREATE_ONLY
    if create_only and not with_create_only:
        checks: tuple[Check, ...] = ()
    elif mapped.action is Action.DELETE:
        checks = (check(Kind.DELETED, f"{resource_type}.deleted", "", WHOLE, True),)
    elif mapped.fields is not None and not create_only:
        checks = tuple(_field_checks(resource, mapped.fields))
    else:
        checks = tuple(
            check(Kind.ELEMENT, f"{resource_type}.{key}", key, WHOLE, value)
            for key, value in resource.items()
            if key not in _NOT_CONTENT
        )
    return ResourceChecks(resource_type, resource_id, create_only, checks)


def _field_checks(resource: dict[str, Any], report: FieldReport) -> list[Check]:
    checks: list[Check] = []
    for feed in report.feeds.values():
        carried = [label for label in feed.fields if report.carried(label)]
        if not carried:
            continue
        path = feed.keys[0]
        if not feed.many:
            value = {
                name: resource[name]
                for key in feed.keys
                for name in (key, f"_{key}")
                if name in resource
            }
            checks.extend(
                check(Kind.VALUE, label, path, path, value, keys=feed.keys) for label in carried
            )
            continue
        parts = list(value_at(resource, path) or [])
        owners = list(report.owners.get(path, [None] * len(parts)))
        sent = report.attached.get(path)
        if feed.attach is not None and sent is not None:
            parts, owners = _detached(parts, owners, feed.attach[1], sent)
        for label in carried:
            if feed.attach is not None and label == feed.attach[0]:
                present = report.states.get(label) is FieldState.PRESENT
                county = sent if present else None
                attached = check(
                    Kind.ATTACHED, label, path, f"{path}@", county, keys=(feed.attach[1],)
                )
                checks.append(attached)
                continue
            own = [part for part, owner in zip(parts, owners, strict=True) if owner == label]
            digests = tuple(digest(part) for part in own)
            attach = (feed.attach[1],) if feed.attach is not None else ()
            checks.append(
                check(Kind.PARTS, label, path, f"{path}#{label}", own, digests, keys=attach)
            )
    return checks


def _detached(
    parts: list[Any], owners: list[str | None], key: str, value: str
) -> tuple[list[Any], list[str | None]]:
    """The parts without the value a field attached (as their owners were recorded)."""
    trimmed = detach_key(parts, key, value)
    if len(trimmed) == len(parts):
        return trimmed, owners
    gone = parts.index({key: value})
    return trimmed, [*owners[:gone], *owners[gone + 1 :]]


def identifiers_of(
    message: Message, config: MappingConfig, result: MappingResult
) -> list[PatientIdentifier]:
    """Each PID-3 identifier of the message with the Patient id its PID maps to."""
    context = MapContext(config, sender=(message.sending_application, message.sending_facility))
    pids = message.segments_named("PID")
    # One PID, one Patient: the mapping already named it (the common case, and cheaper).
    mapped = [m.resource["id"] for m in result.resources if m.resource["resourceType"] == "Patient"]
    found: list[PatientIdentifier] = []
    for pid in pids:
        try:
            patient = str(mapped[0]) if len(pids) == 1 == len(mapped) else patient_id(pid, context)
        except MappingError:
            continue
        for rep in pid.reps(3):
            value = rep[0][0].strip() if rep and rep[0] else ""
            if value:
                authority = "&".join(s for s in rep[3] if s) if len(rep) > 3 else ""
                found.append(PatientIdentifier(value, authority, patient))
    return found

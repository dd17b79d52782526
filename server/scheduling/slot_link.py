"""An Appointment's Slots: busy while it takes them, free again when it lets them go.

An Appointment that references Slots (``Appointment.slot``) in a status that takes time
(``SLOT_TAKING``), and is no overbook, holds each Slot's key ``slot|Slot/id`` (the
store's exclusive holds, like a participant's minutes) and makes the Slot ``busy`` in
the same batch. Cancelling it, marking it a no-show, or moving it to other Slots
writes the Slots it lets go back to ``free`` in that batch; a Slot freed by a
cancellation records the Appointment and when (``FREED_BY_URL``, ``FREED_AT_URL``),
which is how urgent ``$find`` knows the slots freed today.

``Appointment/$hold`` holds Slots the other way round: the Slot itself takes its key,
with status ``busy-tentative``, a hold id (``HOLD_ID_URL``) and an expiry
(``HOLD_EXPIRES_URL``). A booking whose Appointment carries that hold id, or one that
comes after the expiry, takes the key over; any other is refused (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from server import planned_versions
from server.errors import BusinessRuleViolation, Conflict
from server.fhir.clock import fhir_instant, parse_instant
from server.scheduling.appointment import (
    OVERBOOK_URL,
    Participant,
    extension_value,
    local_reference,
)
from server.storage.port import Method, Store, StoredVersion, Write
from server.versions import Indexer, next_version

SLOT_TAKING = frozenset({"pending", "booked", "arrived", "checked-in", "fulfilled"})
HOLD_ID_URL = "https://fhirport.dev/fhir/StructureDefinition/slot-hold"
HOLD_EXPIRES_URL = "https://fhirport.dev/fhir/StructureDefinition/slot-hold-expires"
FREED_BY_URL = "https://fhirport.dev/fhir/StructureDefinition/slot-freed-by"
FREED_AT_URL = "https://fhirport.dev/fhir/StructureDefinition/slot-freed-at"
_SERVER_EXTENSIONS = frozenset({HOLD_ID_URL, HOLD_EXPIRES_URL, FREED_BY_URL, FREED_AT_URL})
KEY_PREFIX = "slot|"

Clock = Callable[[], int]


def slot_key(reference: str) -> str:
    return f"{KEY_PREFIX}{reference}"


def slot_refs(appointment: dict[str, Any]) -> list[Participant]:
    """The Slots an Appointment references (``Slot/id``), with where each is."""
    found: list[Participant] = []
    for index, slot in enumerate(appointment.get("slot") or ()):
        reference = local_reference(slot.get("reference") if isinstance(slot, dict) else None)
        if reference is not None and reference.startswith("Slot/"):
            found.append(Participant(reference, f"Appointment.slot[{index}]"))
    return found


def takes_slots(appointment: dict[str, Any] | None) -> bool:
    """Whether the Appointment keeps its Slots busy (a status that takes time, no overbook)."""
    return (
        appointment is not None
        and appointment.get("status") in SLOT_TAKING
        and extension_value(appointment, OVERBOOK_URL, "Boolean") is not True
    )


def held_until(slot: dict[str, Any], now: int) -> int | None:
    """When the Slot's $hold runs out, if it is held now; None if it is not."""
    if slot.get("status") != "busy-tentative":
        return None
    expires = extension_value(slot, HOLD_EXPIRES_URL, "Instant")
    try:
        until = parse_instant(expires) if isinstance(expires, str) else None
    except ValueError:
        return None
    return until if until is not None and until > now else None


def offerable(slot: dict[str, Any], now: int) -> bool:
    """Whether the Slot can be proposed: free, or held by a $hold that ran out."""
    status = slot.get("status")
    return status == "free" or (status == "busy-tentative" and held_until(slot, now) is None)


def with_status(slot: dict[str, Any], status: str, *extensions: dict[str, Any]) -> dict[str, Any]:
    """A copy of the Slot with ``status`` and, of the server's extensions, only ``extensions``."""
    changed = {k: v for k, v in slot.items() if k not in {"meta", "extension"}}
    kept = [e for e in slot.get("extension") or () if e.get("url") not in _SERVER_EXTENSIONS]
    if kept or extensions:
        changed["extension"] = [*kept, *extensions]
    changed["status"] = status
    return changed


class SlotBusy(Conflict):
    """A Slot that is not free for the booking (409); the booking rule names its holder."""

    def __init__(self, slot: Participant, status: str) -> None:
        super().__init__(
            f"{slot.reference} is {status}: it cannot be booked", expression=slot.expression
        )
        self.slot = slot
        self.slot_status = status


@dataclass(frozen=True, slots=True)
class SlotChanges:
    """What an Appointment write does to Slots: the keys it holds, the Slots it writes."""

    keys: dict[str, Participant] = field(default_factory=dict)
    writes: tuple[Write, ...] = ()
    start: str | None = None  # the Slots' span, for an Appointment that gives none
    end: str | None = None
    freed: tuple[dict[str, Any], ...] = ()  # Slots a cancellation frees (for the waitlist)


class SlotLink:
    """Plans the Slot side of Appointment writes; ``clock`` tells holds' expiry."""

    def __init__(self, store: Store, indexer: Indexer, clock: Clock) -> None:
        self.store = store
        self.indexer = indexer
        self.clock = clock

    async def plan(
        self, appointment_id: str, resource: dict[str, Any], previous: dict[str, Any] | None
    ) -> SlotChanges:
        """The Slots ``resource`` takes and lets go after ``previous``; 409 if one is taken."""
        wanted = slot_refs(resource) if takes_slots(resource) else []
        had = {p.reference for p in slot_refs(previous or {})} if takes_slots(previous) else set()
        let_go = had - {p.reference for p in wanted}
        if not wanted and not let_go:
            return SlotChanges()
        stored = await planned_versions.read_many(
            self.store,
            [("Slot", r.split("/")[1]) for r in [*(p.reference for p in wanted), *let_go]],
        )
        now = self.clock()
        token = extension_value(resource, HOLD_ID_URL, "String")
        writes: list[Write] = []
        spans: list[tuple[str, str]] = []
        for participant in wanted:
            version, slot = _slot(stored, participant)
            self._check_free(participant, slot, had, token, now)
            spans.append((slot.get("start", ""), slot.get("end", "")))
            if slot.get("status") != "busy":
                writes.append(self._write(version, with_status(slot, "busy")))
        freed: list[dict[str, Any]] = []
        cancelled = resource.get("status") == "cancelled"
        for reference in sorted(let_go):
            found = stored.get(("Slot", reference.split("/")[1]))
            if found is None or found.body is None:
                continue
            slot = orjson.loads(found.body)
            if slot.get("status") != "busy":
                continue
            mark: list[dict[str, Any]] = []
            if cancelled:
                by = {"reference": f"Appointment/{appointment_id}"}
                mark.append({"url": FREED_BY_URL, "valueReference": by})
                mark.append({"url": FREED_AT_URL, "valueInstant": fhir_instant(now)})
            writes.append(self._write(found, with_status(slot, "free", *mark)))
            freed.append(slot)
        keys = {slot_key(p.reference): p for p in wanted}
        start = min((s for s, _ in spans), default=None)
        end = max((e for _, e in spans), default=None)
        return SlotChanges(keys, tuple(writes), start, end, tuple(freed))

    def _check_free(
        self,
        participant: Participant,
        slot: dict[str, Any],
        had: set[str],
        token: Any,
        now: int,
    ) -> None:
        status = slot.get("status")
        if status == "free" or participant.reference in had:
            return
        if status == "busy-tentative":
            until = held_until(slot, now)
            if until is None or extension_value(slot, HOLD_ID_URL, "String") == token:
                return
            raise held_by_another(participant, until)
        raise SlotBusy(participant, str(status))

    def hold_needed(self, slot: dict[str, Any], token: Any) -> bool:
        """Whether the Slot's own $hold still keeps it from a booking carrying ``token``."""
        return (
            held_until(slot, self.clock()) is not None
            and extension_value(slot, HOLD_ID_URL, "String") != token
        )

    def _write(self, current: StoredVersion, slot: dict[str, Any]) -> Write:
        return next_version(
            "Slot", current.id, current, slot, Method.PUT, self.indexer, client_write=True
        )


def held_by_another(participant: Participant, until: int) -> Conflict:
    return Conflict(
        f"{participant.reference} is held by another client's $hold until {fhir_instant(until)}",
        expression=participant.expression,
    )


def _slot(
    stored: dict[tuple[str, str], StoredVersion | None], participant: Participant
) -> tuple[StoredVersion, dict[str, Any]]:
    found = stored.get(("Slot", participant.reference.split("/")[1]))
    if found is None or found.body is None:
        raise BusinessRuleViolation(
            f"{participant.reference} is not known", expression=participant.expression
        )
    return found, orjson.loads(found.body)

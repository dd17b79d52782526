"""``Appointment/$hold`` and ``Appointment/$book`` (Argonaut Scheduling).

``$hold`` takes a proposal from ``$find`` and holds its Slots for ``minutes``: each Slot
becomes ``busy-tentative`` with a hold id and an expiry and takes its Slot key, in one
batch, so a racing hold or booking of it is refused (server.scheduling.slot_link). The
answer is the proposal as a ``pending`` Appointment carrying the hold id, which
``$book`` presents. Nothing else is stored: an expired hold is simply no longer one.

``$book`` stores the Appointment as ``booked`` through the REST create (or update, if it
has an id), so the booking rule runs: the Slots become busy, and a Slot booked or held by
someone else meanwhile is a 409 naming them.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

import orjson

from server.errors import BusinessRuleViolation, Conflict, InvalidRequest
from server.fhir.clock import fhir_instant
from server.fhir.validation import validate_resource
from server.interactions import ResourceService, WriteResult
from server.scheduling.appointment import OVERBOOK_URL, Participant, extension_value
from server.scheduling.booking import BookingRule
from server.scheduling.find import PROPOSAL_KIND_URL
from server.scheduling.parameters import parameters_of, single
from server.scheduling.slot_link import (
    HOLD_EXPIRES_URL,
    HOLD_ID_URL,
    SlotLink,
    held_by_another,
    held_until,
    offerable,
    slot_key,
    slot_refs,
    with_status,
)
from server.storage.port import Holds, HoldTaken, Method, VersionConflict, Write
from server.versions import next_version

_ATTEMPTS = 16
MINUTE_US = 60_000_000


def appointment_parameter(
    body: dict[str, Any], *, overbook_allowed: bool = False
) -> dict[str, Any]:
    """The Appointment of $hold's or $book's ``appt-resource``; 400 without one, 422 without
    a Slot unless ``overbook_allowed`` and it is an overbook (urgent $find's squeeze-in)."""
    param = single(parameters_of(body), "appt-resource")
    resource = param.body.get("resource") if param is not None else None
    if param is None or not isinstance(resource, dict):
        raise InvalidRequest(
            "appt-resource (an Appointment from $find or $hold) is needed",
            expression="Parameters.parameter",
        )
    if resource.get("resourceType") != "Appointment":
        raise InvalidRequest("appt-resource must be an Appointment", expression=param.expression)
    appointment = copy.deepcopy(resource)
    validate_resource(appointment, "Appointment")
    overbook = extension_value(appointment, OVERBOOK_URL, "Boolean") is True
    if not slot_refs(appointment) and not (overbook_allowed and overbook):
        raise BusinessRuleViolation(
            "The Appointment names no Slot (Appointment.slot): $find proposes Slots",
            expression="Appointment.slot",
        )
    return appointment


class SlotHolds:
    """Holds and books proposals; ``minutes`` is how long a hold lasts."""

    def __init__(self, service: ResourceService, rule: BookingRule, minutes: float) -> None:
        if rule.slots is None:
            raise ValueError("Holding slots needs a booking rule that links Slots")
        self.service = service
        self.rule = rule
        self.link: SlotLink = rule.slots
        self.minutes = minutes

    async def hold(self, appointment: dict[str, Any]) -> dict[str, Any]:
        """Hold the Appointment's Slots; the Appointment as ``pending`` with its hold."""
        hold_id = secrets.token_hex(16)
        wanted = slot_refs(appointment)
        replaceable: frozenset[str] = frozenset()
        for _ in range(_ATTEMPTS):
            now = self.link.clock()
            until = now + round(self.minutes * MINUTE_US)
            marks = (
                {"url": HOLD_ID_URL, "valueString": hold_id},
                {"url": HOLD_EXPIRES_URL, "valueInstant": fhir_instant(until)},
            )
            writes, spans = await self._hold_writes(wanted, marks, now, replaceable)
            try:
                await self.service.commit(writes)
            except VersionConflict:
                continue  # a Slot changed since it was read: read it again
            except HoldTaken as taken:
                participant = next(p for p in wanted if slot_key(p.reference) == taken.key)
                refusal = await self.rule.slot_refusal(taken.holder, participant, hold_id)
                if refusal is not None:
                    raise refusal from None
                replaceable = replaceable | {taken.holder}
                continue
            return _pending(appointment, marks, spans)
        raise Conflict("These slots are contended by other clients; retry")

    async def _hold_writes(
        self,
        wanted: list[Participant],
        marks: tuple[dict[str, Any], ...],
        now: int,
        replaceable: frozenset[str],
    ) -> tuple[list[Write], list[tuple[str, str]]]:
        stored = await self.service.store.read_many(
            [("Slot", p.reference.split("/")[1]) for p in wanted]
        )
        writes: list[Write] = []
        spans: list[tuple[str, str]] = []
        for participant in wanted:
            current = stored[("Slot", participant.reference.split("/")[1])]
            if current is None or current.body is None:
                raise BusinessRuleViolation(
                    f"{participant.reference} is not known", expression=participant.expression
                )
            slot = orjson.loads(current.body)
            if not offerable(slot, now):
                until = held_until(slot, now)
                if until is not None:
                    raise held_by_another(participant, until)
                raise Conflict(
                    f"{participant.reference} is {slot.get('status')}: it cannot be held",
                    expression=participant.expression,
                )
            spans.append((slot.get("start", ""), slot.get("end", "")))
            holds = Holds(frozenset({slot_key(participant.reference)}), replaceable)
            writes.append(
                next_version(
                    "Slot",
                    current.id,
                    current,
                    with_status(slot, "busy-tentative", *marks),
                    Method.PUT,
                    self.service.indexer,
                    client_write=True,
                    holds=holds,
                )
            )
        return writes, spans

    async def book(self, appointment: dict[str, Any]) -> WriteResult:
        """Store the Appointment as booked (the booking rule makes its Slots busy)."""
        booked = dict(appointment, status="booked")
        booked["extension"] = [
            e
            for e in appointment.get("extension") or ()
            if e.get("url") not in {PROPOSAL_KIND_URL, HOLD_EXPIRES_URL}
        ]
        if not booked["extension"]:
            del booked["extension"]
        booked["participant"] = [
            dict(p, status="accepted") if p.get("status") == "needs-action" else p
            for p in appointment.get("participant") or ()
        ]
        resource_id = booked.get("id")
        if isinstance(resource_id, str):
            return await self.service.update("Appointment", resource_id, booked)
        return await self.service.create("Appointment", booked)


def _pending(
    appointment: dict[str, Any], marks: tuple[dict[str, Any], ...], spans: list[tuple[str, str]]
) -> dict[str, Any]:
    pending = dict(appointment, status="pending")
    kept = [
        e
        for e in appointment.get("extension") or ()
        if e.get("url") not in {HOLD_ID_URL, HOLD_EXPIRES_URL}
    ]
    pending["extension"] = [*kept, *marks]
    if "start" not in pending and spans:
        pending["start"] = min(s for s, _ in spans)
        pending["end"] = max(e for _, e in spans)
    return pending

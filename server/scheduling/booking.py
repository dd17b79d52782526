"""No double-booking: the Appointment rule of client writes (REST, transactions) and of
HL7v2 ingest (SIU, server.hl7v2.ingest.bookings).

A busy Appointment (booked, arrived, checked-in) may not overlap another busy, regular
Appointment of one of its Practitioners, Locations or Patients: 409, naming the other
Appointment and the participant (``expression``). Two checks make that hold:

- a search for overlapping busy Appointments of the participants, which finds those
  written without holds (before this rule) and answers most conflicts;
- the store's exclusive holds (server.storage.port.Holds): each participant's minutes,
  claimed in the write's transaction, so two racing writers (other processes too)
  cannot both book one minute. Cancelling, rescheduling or marking a no-show writes the
  Appointment's new set of keys (none, or the new minutes) and frees the old ones, as a
  deletion does (server.versions.next_version); a key left by a resource that no longer
  needs it (deleted before deletions let go of keys, or changed by a path that keeps no
  holds) is taken over after its holder is read.

An explicit overbook (extension ``OVERBOOK_URL`` true) is on top of the regular bookings:
it neither conflicts nor holds minutes, but takes one of the numbered overbook keys of
its day for each participant whose Schedule sets a capacity (``OVERBOOK_CAPACITY_URL``,
overbooks per day of the Schedule's time zone, server.scheduling.office_day); without a
Schedule, or a capacity on it, there is no limit.

An SIU message that would double-book is refused (ACK AE with ERR, kept in the ledger)
as a client's write is (409). A merge of Patients (ADT^A40, ``Patient/$merge``) moves
their Appointments as they are, no overlap refused, and re-keys their holds to the
survivor in the merge's own write (server.scheduling.merge_holds).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from server import planned_versions
from server.errors import Conflict
from server.scheduling.appointment import (
    OVERBOOK_CAPACITY_URL,
    Booking,
    Participant,
    booking_of,
    extension_value,
    local_reference,
    overlap_params,
)
from server.scheduling.holds import minute_keys, minute_of, overbook_key
from server.scheduling.merge_holds import Moved, MovedAppointment, moved_holds
from server.scheduling.office_day import local_day, zone_of
from server.scheduling.slot_link import (
    HOLD_ID_URL,
    SLOT_TAKING,
    SlotBusy,
    SlotChanges,
    SlotLink,
    held_by_another,
    held_until,
    slot_key,
    slot_refs,
    takes_slots,
)
from server.scheduling.slot_link import (
    KEY_PREFIX as SLOT_KEY_PREFIX,
)
from server.scheduling.waitlist import Waitlist
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Holds, HoldTaken, Store, StoredVersion, Write

_SEARCH_PAGE = 500
_MAX_SETTLES = 16
_ORPHAN_POLL_S = 0.02


@dataclass(frozen=True, slots=True)
class Plan:
    """The holds a write of one Appointment asks for, and how to read a refused key."""

    holder: str  # Appointment/id
    booking: Booking | None
    keys: dict[str, Participant] = field(default_factory=dict)
    replaceable: frozenset[str] = frozenset()
    capacity: dict[str, int] = field(default_factory=dict)  # overbooks: participant -> cap
    numbers: dict[str, int] = field(default_factory=dict)  # overbooks: the key number tried
    days: dict[str, str] = field(default_factory=dict)  # overbooks: participant -> its day
    more: tuple[Write, ...] = ()  # the Slots it makes busy or free, in its batch
    hold_id: Any = None  # the $hold it books (its extension), if any

    @property
    def holds(self) -> Holds:
        return Holds(frozenset(self.keys), self.replaceable)


class BookingRule:
    """Refuses double-bookings of client Appointment writes; see the module doc."""

    def __init__(
        self,
        store: Store,
        search: SearchEngine,
        slots: SlotLink | None = None,
        *,
        orphan_wait: float = 2.0,
    ) -> None:
        self.store = store
        self.search = search
        # The Slots Appointments take and free (server.scheduling.slot_link); None: none.
        self.slots = slots
        self.orphan_wait = orphan_wait

    async def plan(self, resource_id: str, resource: dict[str, Any]) -> Plan:
        """The first holds to ask for; 409 if a stored Appointment already overlaps."""
        holder = f"Appointment/{resource_id}"
        slots = await self._plan_slots(resource_id, resource)
        hold_id = extension_value(resource, HOLD_ID_URL, "String")
        booking = booking_of(resource)
        if booking is None:
            return Plan(holder, None, dict(slots.keys), more=slots.writes, hold_id=hold_id)
        if booking.overbook:
            capacity, days = await self._capacities(booking)
            numbers = dict.fromkeys(capacity, 1)
            return Plan(
                holder,
                booking,
                _overbook_keys(booking, numbers, days),
                capacity=capacity,
                numbers=numbers,
                days=days,
                more=slots.writes,
            )
        await self._refuse_overlaps(resource_id, booking)
        keys = {**minute_keys(booking), **slots.keys}
        return Plan(holder, booking, keys, more=slots.writes, hold_id=hold_id)

    async def _plan_slots(self, resource_id: str, resource: dict[str, Any]) -> SlotChanges:
        """The Slots the write takes and frees; an Appointment without times gets theirs."""
        if self.slots is None:
            return SlotChanges()
        key = ("Appointment", resource_id)
        stored = (await planned_versions.read_many(self.store, [key])).get(key)
        previous = orjson.loads(stored.body) if stored is not None and stored.body else None
        try:
            changes = await self.slots.plan(resource_id, resource, previous)
        except SlotBusy as busy:
            raise await self._named(busy) from None
        if changes.start and changes.end and "start" not in resource and "end" not in resource:
            resource["start"], resource["end"] = changes.start, changes.end
        version = stored.version + 1 if stored is not None else 1
        offers = await Waitlist(self.store, self.search, self.slots).offer(
            resource_id, version, resource, previous, changes.freed
        )
        return dataclasses.replace(changes, writes=(*changes.writes, *offers))

    async def released(self, resource_id: str, current: dict[str, Any]) -> tuple[Write, ...]:
        """A deleted booking lets its Slots go as its cancellation would (marked freed by
        it, offered to the waitlist), in the deletion's batch."""
        if not takes_slots(current):
            return ()
        cancelled = {**current, "status": "cancelled"}
        return tuple((await self._plan_slots(resource_id, cancelled)).writes)

    async def moved(self, moved: Sequence[MovedAppointment]) -> dict[str, Moved]:
        """The holds of the Appointments a merge moves, by id (server.scheduling.merge_holds);
        one whose keys stay as they are is left out."""
        return await moved_holds(self.store, self.search, moved)

    async def settle(self, plan: Any, taken: HoldTaken) -> Plan | Moved:
        """The holds to ask for after ``taken``: 409 if its holder still needs the key
        (a moved Appointment leaves it to that holder instead)."""
        if isinstance(plan, Moved):
            needed = await self._needed_by(taken.holder)
            if taken.key in needed:
                left = plan.keys - (needed & plan.gained) - {taken.key}
                return dataclasses.replace(plan, keys=left)
            return dataclasses.replace(plan, replaceable=plan.replaceable | {taken.holder})
        return await self._settle(plan, taken)

    async def _settle(self, plan: Plan, taken: HoldTaken) -> Plan:
        participant = plan.keys[taken.key]
        if taken.key.startswith(SLOT_KEY_PREFIX):
            refusal = await self.slot_refusal(taken.holder, participant, plan.hold_id)
            if refusal is not None:
                raise refusal
            return dataclasses.replace(plan, replaceable=plan.replaceable | {taken.holder})
        assert plan.booking is not None
        if not await self._still_needed(taken.holder, taken.key):
            return dataclasses.replace(plan, replaceable=plan.replaceable | {taken.holder})
        if not plan.booking.overbook:
            raise _double_booked(participant, taken.holder)
        numbers = dict(plan.numbers)
        numbers[participant.reference] += 1
        cap = plan.capacity[participant.reference]
        if numbers[participant.reference] > cap:
            raise Conflict(
                f"{participant.reference} has its {cap} overbook(s) of"
                f" {plan.days[participant.reference]}"
                " taken already (its Schedule's overbook capacity)",
                expression=participant.expression,
            )
        keys = _overbook_keys(plan.booking, numbers, plan.days)
        return dataclasses.replace(plan, keys=keys, numbers=numbers)

    async def _refuse_overlaps(self, resource_id: str, booking: Booking) -> None:
        actors = (p.reference for p in booking.participants)
        params = overlap_params(actors, booking.start, booking.end)
        # A transaction's own deletes and changes stand over what the store has.
        planned = planned_versions.view()
        for found in await self._find("Appointment", params):
            version = planned.get(("Appointment", found.id), found)
            if version is None or version.id == resource_id or version.body is None:
                continue
            other = booking_of(orjson.loads(version.body))
            if other is None or other.overbook or not booking.overlaps(other):
                continue
            shared = booking.shares(other)
            if shared is not None:
                raise _double_booked(shared, f"Appointment/{version.id}")

    async def _capacities(self, booking: Booking) -> tuple[dict[str, int], dict[str, str]]:
        """Each participant's overbooks per day, where a Schedule of it sets a number, and
        the day the booking is on in that Schedule's time zone."""
        references = {p.reference for p in booking.participants}
        capacity: dict[str, int] = {}
        days: dict[str, str] = {}
        for version in await self._find("Schedule", [("actor", ",".join(sorted(references)))]):
            schedule = orjson.loads(version.body or b"{}")
            cap = extension_value(schedule, OVERBOOK_CAPACITY_URL, "Integer")
            if schedule.get("active") is False or not isinstance(cap, int):
                continue
            for actor in schedule.get("actor") or ():
                reference = local_reference(
                    actor.get("reference") if isinstance(actor, dict) else None
                )
                if reference in references and cap <= capacity.get(reference, cap):
                    capacity[reference] = cap
                    days[reference] = local_day(booking.start, zone_of(schedule))
        return capacity, days

    async def _find(self, resource_type: str, params: list[tuple[str, str]]) -> list[StoredVersion]:
        parsed = self.search.parse(resource_type, params, lenient=False)
        page = await self.store.search(
            SearchQuery(resource_type, tuple(parsed.clauses), count=_SEARCH_PAGE)
        )
        return page.versions

    async def _still_needed(self, holder: str, key: str) -> bool:
        """Whether the holder of ``key`` is a current Appointment that takes that time."""
        resource_type, _, resource_id = holder.partition("/")
        stored = await self._read_or_wait(resource_type, resource_id)
        if stored is None or stored.body is None:
            return False
        other = booking_of(orjson.loads(stored.body))
        if other is None:
            return False
        minute = minute_of(key)
        if minute is None:
            if not other.overbook:
                return False
            _, days = await self._capacities(other)
            return any(key.startswith(f"overbook|{p}|{day}#") for p, day in days.items())
        return not other.overbook and key in minute_keys(other)

    async def _needed_by(self, holder: str) -> frozenset[str]:
        """The minute and Slot keys ``holder`` needs now (none if it no longer exists)."""
        resource_type, _, resource_id = holder.partition("/")
        stored = await self._read_or_wait(resource_type, resource_id)
        if stored is None or stored.body is None:
            return frozenset()
        body = orjson.loads(stored.body)
        if resource_type == "Slot":
            held = self.slots is not None and held_until(body, self.slots.clock()) is not None
            return frozenset({slot_key(holder)} if held else ())
        keys = {slot_key(p.reference) for p in slot_refs(body)} if takes_slots(body) else set()
        other = booking_of(body)
        if other is not None and not other.overbook:
            keys |= minute_keys(other).keys()
        return frozenset(keys)

    async def _named(self, busy: SlotBusy) -> Conflict:
        """The refusal of a busy Slot, naming the Appointment that booked it if one did."""
        params = [("slot", busy.slot.reference), ("status", ",".join(sorted(SLOT_TAKING)))]
        for version in await self._find("Appointment", params):
            return _double_booked(busy.slot, f"Appointment/{version.id}")
        return busy

    async def slot_refusal(self, holder: str, slot: Participant, hold_id: Any) -> Conflict | None:
        """Why ``holder`` keeps ``slot`` from this booking (409), or None if it lets it go."""
        resource_type, _, resource_id = holder.partition("/")
        stored = await self._read_or_wait(resource_type, resource_id)
        if stored is None or stored.body is None or self.slots is None:
            return None
        body = orjson.loads(stored.body)
        if resource_type == "Slot":
            until = held_until(body, self.slots.clock())
            if until is None or not self.slots.hold_needed(body, hold_id):
                return None
            return held_by_another(slot, until)
        if takes_slots(body) and slot.reference in {p.reference for p in slot_refs(body)}:
            return _double_booked(slot, holder)
        return None

    async def _read_or_wait(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        """The holder's current version; on a store without transactions a holder whose
        keys are written before it is waited for a little, as conditional guards are."""
        stored = await self.store.read(resource_type, resource_id)
        if stored is not None or self.store.transactions:
            return stored
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.orphan_wait
        while stored is None and loop.time() < deadline:
            await asyncio.sleep(_ORPHAN_POLL_S)
            stored = await self.store.read(resource_type, resource_id)
        return stored


def _overbook_keys(
    booking: Booking, numbers: dict[str, int], days: dict[str, str]
) -> dict[str, Participant]:
    return {
        overbook_key(p, days[p.reference], numbers[p.reference]): p
        for p in booking.participants
        if p.reference in numbers
    }


def _double_booked(participant: Participant, holder: str) -> Conflict:
    return Conflict(
        f"{participant.reference} is already booked at that time by {holder}"
        " (an overbook needs the extension https://fhirport.dev/fhir/StructureDefinition/overbook)",
        expression=participant.expression,
    )

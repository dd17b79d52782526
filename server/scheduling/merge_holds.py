"""The holds of the Appointments a merge of Patients moves (ADT^A40, ``Patient/$merge``).

A merge moves the retired patient's Appointments to the survivor as they are: no overlap
is refused, since duplicate records often hold one visit twice and a merge cleans that
up. What moves with them is their holds (server.scheduling.holds): each holds its
participants' minutes and its Slots again, now under the survivor, in the merge's own
store write, and the retired patient's keys go. A minute of a participant it gains (the
survivor) that another of the survivor's bookings holds stays that booking's: the
survivor is held at that time either way. Those are found by one search of the gained
participants' busy Appointments over the moved ones' span, whatever their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from server.scheduling.appointment import booking_of, overlap_params, participants_of
from server.scheduling.holds import minute_keys
from server.scheduling.slot_link import slot_key, slot_refs, takes_slots
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Holds, Store, Write

_PAGE = 500

# What a merge moves: (id, its content after the move, its content before).
MovedAppointment = tuple[str, dict[str, Any], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Moved:
    """The holds a moved Appointment asks for (server.hold_rules.HoldPlan)."""

    keys: frozenset[str]
    gained: frozenset[str]  # the minutes of the participants it gains (the survivor's)
    replaceable: frozenset[str] = frozenset()
    more: tuple[Write, ...] = ()

    @property
    def holds(self) -> Holds:
        return Holds(self.keys, self.replaceable)


async def moved_holds(
    store: Store, search: SearchEngine, moved: Sequence[MovedAppointment]
) -> dict[str, Moved]:
    """Each moved Appointment's holds, by id; one whose keys stay as they are (an
    overbook's, or one that takes no time) is left out."""
    wanted: dict[str, tuple[set[str], frozenset[str]]] = {}
    gainers: set[str] = set()
    span: list[int] = []
    for appointment_id, resource, previous in moved:
        booking = booking_of(resource)
        if booking is not None and booking.overbook:
            continue
        keys = (
            {slot_key(p.reference) for p in slot_refs(resource)} if takes_slots(resource) else set()
        )
        gained: frozenset[str] = frozenset()
        if booking is not None:
            had = {p.reference for p in participants_of(previous or {})}
            minutes = minute_keys(booking)
            keys |= minutes.keys()
            gained = frozenset(k for k, p in minutes.items() if p.reference not in had)
            if gained:
                gainers |= {p.reference for p in booking.participants} - had
                span += (booking.start, booking.end)
        if keys:
            wanted[appointment_id] = (keys, gained)
    held = await _held_by_others(store, search, gainers, span, set(wanted))
    return {
        appointment_id: Moved(frozenset(keys - (gained & held) if held else keys), gained)
        for appointment_id, (keys, gained) in wanted.items()
    }


async def _held_by_others(
    store: Store, search: SearchEngine, gainers: set[str], span: list[int], moved: set[str]
) -> set[str]:
    """The minute keys the busy, regular Appointments of ``gainers`` (other than the moved
    ones) hold within ``span``."""
    if not gainers:
        return set()
    params = overlap_params(sorted(gainers), min(span), max(span))
    clauses = tuple(search.parse("Appointment", params, lenient=False).clauses)
    held: set[str] = set()
    cursor: str | None = None
    while True:
        page = await store.search(SearchQuery("Appointment", clauses, count=_PAGE, cursor=cursor))
        for version in page.versions:
            other = booking_of(orjson.loads(version.body)) if version.body else None
            if version.id not in moved and other is not None and not other.overbook:
                held |= minute_keys(other).keys()
        if page.next_cursor is None:
            return held
        cursor = page.next_cursor

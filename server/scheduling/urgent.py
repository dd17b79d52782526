"""Urgent squeeze-ins: what ``$find`` with ``urgency=urgent`` proposes beyond free Slots.

- Slots freed by a cancellation today (``FREED_AT_URL``; today in the time zone of the
  Slot's Schedule when the search names Schedules, server.scheduling.office_day, else
  UTC's) that start within ``URGENT_DAYS`` from now, even outside the requested window.
- The Schedules' remaining overbook capacity (``OVERBOOK_CAPACITY_URL``, overbooks per
  day): for each Schedule and each of the first ``URGENT_DAYS`` days of its time zone in
  the window (from now on) whose practitioners have fewer overbooks than the capacity, one overbook
  proposal (extension
  ``OVERBOOK_URL``) at the day's first Slot from now on, busy or not, without the Slot:
  an overbook goes on top of the regular booking (server.scheduling.booking).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson

from server.fhir.clock import fhir_instant, parse_instant
from server.scheduling.appointment import (
    BUSY_STATUSES,
    OVERBOOK_CAPACITY_URL,
    OVERBOOK_URL,
    extension_value,
    local_reference,
)
from server.scheduling.office_day import day_span, local_day, zone_of
from server.scheduling.slot_link import FREED_AT_URL
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Store, StoredVersion

DAY_US = 24 * 3600 * 1_000_000
URGENT_DAYS = 2


class SqueezeIns:
    """Finds the urgent extras for a $find (see the module doc)."""

    def __init__(self, store: Store, search: SearchEngine) -> None:
        self.store = store
        self.search = search

    async def freed_today(
        self, schedules: dict[str, dict[str, Any]] | None, now: int
    ) -> list[dict[str, Any]]:
        """The free Slots a cancellation freed today, starting from now to URGENT_DAYS on."""
        params = [
            ("status", "free"),
            ("start", f"ge{fhir_instant(now)}"),
            ("start", f"lt{fhir_instant(now + URGENT_DAYS * DAY_US)}"),
            ("_sort", "start"),
        ]
        if schedules is not None:
            params.append(("schedule", ",".join(f"Schedule/{i}" for i in sorted(schedules))))
        slots = (orjson.loads(v.body or b"{}") for v in await self._find("Slot", params, 500))
        found = []
        for slot in slots:
            zone = zone_of((schedules or {}).get(slot_schedule(slot)))
            if _freed_on(slot, zone) == local_day(now, zone):
                found.append(slot)
        return found

    async def overbooks(
        self, schedules: dict[str, dict[str, Any]], start: int, end: int, now: int
    ) -> list[tuple[dict[str, Any], str]]:
        """(first Slot of the day, schedule id) for each Schedule-day with capacity left."""
        found: list[tuple[dict[str, Any], str]] = []
        low = max(start, now)
        for schedule_id, schedule in sorted(schedules.items()):
            capacity = extension_value(schedule, OVERBOOK_CAPACITY_URL, "Integer")
            if not isinstance(capacity, int) or capacity <= 0:
                continue
            zone = zone_of(schedule)
            day = day_span(low, zone)
            for _ in range(URGENT_DAYS):
                if day[0] >= end:
                    break
                slot = await self._first_slot(schedule_id, max(day[0], low), day[1])
                if slot is not None and await self._room(schedule, capacity, day):
                    found.append((slot, schedule_id))
                day = day_span(day[1], zone)
        return found

    async def _room(self, schedule: dict[str, Any], capacity: int, day: tuple[int, int]) -> bool:
        """Whether every practitioner of the Schedule has an overbook left on ``day`` (its
        first microsecond and the next day's)."""
        actors = [
            a.get("reference", "")
            for a in schedule.get("actor") or ()
            if isinstance(a, dict) and str(a.get("reference", "")).startswith("Practitioner/")
        ]
        for actor in actors:
            params = [
                ("actor", actor),
                ("overbook", "true"),
                ("date", f"ge{fhir_instant(day[0])}"),
                ("date", f"lt{fhir_instant(day[1])}"),
                ("status", ",".join(sorted(BUSY_STATUSES))),
            ]
            if len(await self._find("Appointment", params, capacity)) >= capacity:
                return False
        return bool(actors)

    async def _first_slot(self, schedule_id: str, low: int, high: int) -> dict[str, Any] | None:
        params = [
            ("schedule", f"Schedule/{schedule_id}"),
            ("start", f"ge{fhir_instant(low)}"),
            ("start", f"lt{fhir_instant(high)}"),
            ("_sort", "start"),
        ]
        versions = await self._find("Slot", params, 1)
        return orjson.loads(versions[0].body or b"{}") if versions else None

    async def _find(
        self, resource_type: str, params: list[tuple[str, str]], count: int
    ) -> list[StoredVersion]:
        parsed = self.search.parse(resource_type, params, lenient=False)
        query = SearchQuery(resource_type, tuple(parsed.clauses), tuple(parsed.sort), count)
        return (await self.store.search(query)).versions


def overbook_proposal(proposal: dict[str, Any]) -> dict[str, Any]:
    """A proposal made an overbook: the extension, and no Slot (it takes none)."""
    squeezed = {k: v for k, v in proposal.items() if k != "slot"}
    squeezed["extension"] = [
        *(proposal.get("extension") or ()),
        {"url": OVERBOOK_URL, "valueBoolean": True},
    ]
    return squeezed


def _freed_on(slot: dict[str, Any], zone: ZoneInfo) -> str | None:
    freed = extension_value(slot, FREED_AT_URL, "Instant")
    try:
        return local_day(parse_instant(freed), zone) if isinstance(freed, str) else None
    except ValueError:
        return None


def slot_schedule(slot: dict[str, Any]) -> str:
    """The id of the Schedule a Slot is of ("" if it names none)."""
    reference = local_reference((slot.get("schedule") or {}).get("reference"))
    return reference.split("/", 1)[1] if reference else ""

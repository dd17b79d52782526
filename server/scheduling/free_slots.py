"""The free Slots of a $find page, earliest first, read in time chunks.

A Slot search over a whole window sorts every Slot of the window before it returns the
first page, so the window is read a chunk at a time from its start (a day, doubling up
to a week while chunks come back empty): each chunk is a search on the Slots' start
index (with the schedule's reference-and-date index when a few Schedules are asked
for), sorted by start, read only as far as the page needs. Status and, for many
Schedules, the schedule are checked on the Slots read, which a chunk keeps few.

The page cursor is this module's: the start of the page's last Slot and the ids already
given at that start, so the next page goes on from there whatever the tie order.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from server.errors import InvalidRequest
from server.fhir.clock import fhir_instant, parse_instant
from server.scheduling.slot_link import offerable
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Store

DAY_US = 24 * 3600 * 1_000_000
FIRST_CHUNK_US = DAY_US
LAST_CHUNK_US = 7 * DAY_US
# Up to this many Schedules go into the query (their reference-and-date index); more
# are checked on the Slots read.
QUERIED_SCHEDULES = 8
_READ = 200


@dataclass(frozen=True, slots=True)
class SlotPage:
    """Offerable Slots in start order, and the cursor after them (None: the last page)."""

    slots: list[dict[str, Any]]
    cursor: str | None


async def free_slots(
    store: Store,
    search: SearchEngine,
    window: tuple[int, int],
    schedules: set[str] | None,
    count: int,
    cursor: str | None,
    now: int,
) -> SlotPage:
    """Up to ``count`` Slots of ``schedules`` (None: any) offerable at ``now`` in ``window``."""
    low, seen = decode_cursor(cursor) if cursor else (window[0], frozenset[str]())
    queried = schedules if schedules is not None and len(schedules) <= QUERIED_SCHEDULES else None
    found: list[dict[str, Any]] = []
    span = FIRST_CHUNK_US
    while len(found) <= count and low < window[1]:
        high = min(low + span, window[1])
        for slot in await _chunk(store, search, (low, high), queried, count + 1 - len(found), seen):
            if offerable(slot, now) and (schedules is None or _schedule_of(slot) in schedules):
                found.append(slot)
        low, span = high, min(span * 2, LAST_CHUNK_US)
    found.sort(key=_start_and_id)
    page = found[:count]
    if len(found) <= count or not page:
        return SlotPage(page, None)
    return SlotPage(page, encode_cursor(page, seen))


async def _chunk(
    store: Store,
    search: SearchEngine,
    interval: tuple[int, int],
    schedules: set[str] | None,
    wanted: int,
    seen: frozenset[str],
) -> list[dict[str, Any]]:
    """The chunk's Slots in start order, read until ``wanted`` are free, not yet given."""
    params = [
        ("start", f"ge{fhir_instant(interval[0])}"),
        ("start", f"lt{fhir_instant(interval[1])}"),
        ("_sort", "start"),
    ]
    if schedules is not None:
        params.append(("schedule", ",".join(f"Schedule/{i}" for i in sorted(schedules))))
    parsed = search.parse("Slot", params, lenient=False)
    read: list[dict[str, Any]] = []
    free = 0
    cursor: str | None = None
    while True:
        query = SearchQuery("Slot", tuple(parsed.clauses), tuple(parsed.sort), _READ, cursor)
        page = await store.search(query)
        for version in page.versions:
            if version.id in seen:
                continue
            slot = orjson.loads(version.body or b"{}")
            read.append(slot)
            free += slot.get("status") in {"free", "busy-tentative"}
        cursor = page.next_cursor
        if cursor is None or free >= wanted:
            return read


def encode_cursor(page: list[dict[str, Any]], seen: frozenset[str]) -> str:
    """The cursor after ``page``: its last start, and the ids given at that start."""
    last = page[-1]["start"]
    given = {s["id"] for s in page if s["start"] == last}
    if page[0]["start"] == last:
        given |= seen
    text = orjson.dumps([parse_instant(last), sorted(given)])
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, frozenset[str]]:
    """A cursor's start and ids; 400 for one this module did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        start, ids = orjson.loads(raw)
        if (
            isinstance(start, int)
            and isinstance(ids, list)
            and all(isinstance(i, str) for i in ids)
        ):
            return start, frozenset(ids)
    except (binascii.Error, ValueError, TypeError):
        pass
    raise InvalidRequest("_page is not a cursor of this server's $find", expression="_page")


def _schedule_of(slot: dict[str, Any]) -> str:
    reference = str((slot.get("schedule") or {}).get("reference", ""))
    return reference.rsplit("/", 1)[-1]


def _start_and_id(slot: dict[str, Any]) -> tuple[str, str]:
    return str(slot.get("start", "")), str(slot.get("id", ""))

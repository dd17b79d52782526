"""The no-show worklist: Appointments still ``booked`` an hour after their end.

Searched by status and start (``date``) on the store's indexes, earliest first, a page of
``_count`` at a time; those whose end is less than an hour ago (a long visit that started
long ago) are left off their page, so a page may hold fewer than ``_count``.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from server.errors import InvalidRequest
from server.fhir.clock import fhir_instant, parse_instant
from server.scheduling.slot_link import Clock
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import InvalidCursor, Store, StoredVersion

GRACE_US = 3600 * 1_000_000
DEFAULT_COUNT = 50
MAX_COUNT = 500


@dataclass(frozen=True, slots=True)
class Worklist:
    """A page of the worklist and the cursor of the next one."""

    appointments: list[StoredVersion]
    next_cursor: str | None


def worklist_count(text: str | None) -> int:
    """``_count``: 1 to MAX_COUNT (default DEFAULT_COUNT); 400 otherwise."""
    if text is None:
        return DEFAULT_COUNT
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise InvalidRequest(f"_count is a number from 1 to {MAX_COUNT}", expression="_count")
    return int(text)


async def no_shows(
    store: Store, search: SearchEngine, clock: Clock, count: int, cursor: str | None
) -> Worklist:
    """One page of booked Appointments that ended over an hour ago."""
    cutoff = clock() - GRACE_US
    params = [("status", "booked"), ("date", f"lt{fhir_instant(cutoff)}"), ("_sort", "date")]
    parsed = search.parse("Appointment", params, lenient=False)
    query = SearchQuery("Appointment", tuple(parsed.clauses), tuple(parsed.sort), count, cursor)
    try:
        page = await store.search(query)
    except InvalidCursor:
        raise InvalidRequest("_page is not a cursor of this server", expression="_page") from None
    return Worklist([v for v in page.versions if _ended_before(v, cutoff)], page.next_cursor)


def _ended_before(version: StoredVersion, cutoff: int) -> bool:
    end = orjson.loads(version.body or b"{}").get("end")
    try:
        return isinstance(end, str) and parse_instant(end) <= cutoff
    except ValueError:
        return False

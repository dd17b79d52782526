"""The day a time falls on for a Schedule: a day of its office's time zone.

Overbook capacity is per day (server.scheduling.booking, server.scheduling.urgent), and
an office's day is its own: an evening booking in Chicago is on that day, not on the
next UTC day. A Schedule says its zone with the extension ``TIMEZONE_URL`` (an IANA name,
``valueCode``); without it, or with a name that is no zone, the day is UTC's. A booking's
own offset does not matter: ``18:00-06:00`` and ``00:00Z`` the next day are one time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.scheduling.appointment import extension_value

TIMEZONE_URL = "https://fhirport.dev/fhir/StructureDefinition/timezone"


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_of(schedule: dict[str, Any] | None) -> ZoneInfo:
    """The Schedule's time zone (UTC when it names none, or no zone)."""
    name = extension_value(schedule or {}, TIMEZONE_URL, "Code")
    return _zone(name) if isinstance(name, str) else _zone("UTC")


def _local(instant_us: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(instant_us / 1_000_000, UTC).astimezone(zone)


def local_day(instant_us: int, zone: ZoneInfo) -> str:
    """The date (YYYY-MM-DD) of ``instant_us`` (microseconds since the epoch) in ``zone``."""
    return _local(instant_us, zone).date().isoformat()


def day_span(instant_us: int, zone: ZoneInfo) -> tuple[int, int]:
    """The local day holding ``instant_us``: its first microsecond and the next day's, as
    instants (23 or 25 hours apart on the days clocks change)."""
    day = _local(instant_us, zone).date()
    midnights = (datetime(d.year, d.month, d.day, tzinfo=zone) for d in (day, day + timedelta(1)))
    start, end = (int(m.timestamp() * 1_000_000) for m in midnights)
    return start, end

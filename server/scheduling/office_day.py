"""The day a time falls on for a Schedule: a day of its office's time zone.

Overbook capacity is per day (server.scheduling.booking, server.scheduling.urgent), and
an office's day is its own: an evening booking in Chicago is on that day, not on the
next UTC day. A Schedule says its zone with the extension ``TIMEZONE_URL`` (an IANA name,
``valueCode``); without it, the day is UTC's. A client's write of a Schedule whose
extension names no zone is refused (``schedule_rule``, 422 at the extension's value); a
Schedule stored before that rule is read as UTC, and ``$find`` says so in a warning
(``zone_warnings``). A booking's own offset does not matter: ``18:00-06:00`` and
``00:00Z`` the next day are one time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.errors import BusinessRuleViolation, Issue

TIMEZONE_URL = "https://fhirport.dev/fhir/StructureDefinition/timezone"
# Files of the zone directory that are no zone's name: what they mean is the host's.
_NOT_ZONES = frozenset({"localtime", "posixrules"})
_UTC = ZoneInfo("UTC")


@cache
def known_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone ``name`` names, or None."""
    if name in _NOT_ZONES:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone_extension(schedule: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """The position and content of the Schedule's first time zone extension."""
    for index, extension in enumerate(schedule.get("extension") or ()):
        if isinstance(extension, dict) and extension.get("url") == TIMEZONE_URL:
            return index, extension
    return None


def zone_problem(schedule: dict[str, Any]) -> tuple[str, str] | None:
    """Where (FHIRPath) and why the Schedule's time zone extension names no zone; None
    when it names one or there is none."""
    found = _zone_extension(schedule)
    if found is None:
        return None
    index, extension = found
    where = f"Schedule.extension[{index}]"
    name = extension.get("valueCode")
    if name is None:
        given = [k for k in extension if k.startswith("value")]
        return (
            f"{where}.{given[0]}" if given else where,
            "the time zone extension takes a valueCode (an IANA name, America/New_York)",
        )
    if isinstance(name, str) and known_zone(name) is not None:
        return None
    return (
        f"{where}.valueCode",
        f"{name!r} is no IANA time zone name (America/New_York, Europe/Paris, UTC)",
    )


def schedule_rule(resource: dict[str, Any], current: dict[str, Any] | None) -> None:
    """The Schedule write rule (server.interactions.WriteRule): 422 when its time zone
    extension names no zone, rather than counting its days in UTC unannounced."""
    problem = zone_problem(resource)
    if problem is not None:
        where, why = problem
        raise BusinessRuleViolation(
            f"The Schedule's time zone: {why}", expression=where, code="code-invalid"
        )


def zone_of(schedule: dict[str, Any] | None) -> ZoneInfo:
    """The Schedule's time zone (UTC when it names none, or no zone: see the module doc)."""
    found = _zone_extension(schedule or {})
    name = found[1].get("valueCode") if found is not None else None
    zone = known_zone(name) if isinstance(name, str) else None
    return zone if zone is not None else _UTC


def zone_warnings(schedules: Iterable[tuple[str, dict[str, Any]]]) -> list[Issue]:
    """A warning for each Schedule (id, content) read as UTC because its stored time
    zone extension names no zone (stored before ``schedule_rule``)."""
    issues = []
    for schedule_id, schedule in schedules:
        problem = zone_problem(schedule)
        if problem is not None:
            where, why = problem
            message = f"Schedule/{schedule_id}: {why}; its days are taken as UTC's"
            issues.append(Issue(message, "informational", "warning", (where,)))
    return issues


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

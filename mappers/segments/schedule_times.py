"""Start/end arithmetic for scheduling segments: a v2 start, a duration and its unit."""

from __future__ import annotations

from datetime import timedelta

from mappers.context import MapContext
from mappers.datetimes import parse_v2_time
from mappers.numbers import decimal

# Duration units (ISO+/ANSI+ as senders write them) -> seconds per unit; minutes by default.
_UNIT_SECONDS: dict[str, int] = {
    "S": 1, "SEC": 1, "SECOND": 1, "SECONDS": 1,
    "M": 60, "MIN": 60, "MINUTE": 60, "MINUTES": 60, "": 60,
    "H": 3600, "HR": 3600, "HOUR": 3600, "HOURS": 3600,
    "D": 86400, "DAY": 86400, "DAYS": 86400,
}  # fmt: skip
MAX_DURATION_UNITS = 100_000  # more than a year in minutes: a typo, not an appointment


def duration_seconds(amount: str, unit: str, ctx: MapContext, where: str) -> int | None:
    """Return a duration in seconds, None (with a warning) when it cannot be read."""
    if not amount:
        return None
    value = decimal(amount)
    if value is None or value > MAX_DURATION_UNITS:
        ctx.warn(f"{where}: duration {amount!r} is not a usable number; left out")
        return None
    per_unit = _UNIT_SECONDS.get(unit.strip().upper())
    if per_unit is None:
        ctx.warn(f"{where}: duration unit {unit!r} is unknown; left out")
        return None
    return round(value * per_unit)


def end_after(start: str, seconds: int | None, ctx: MapContext) -> str | None:
    """Return the FHIR dateTime ``seconds`` after the v2 ``start`` (None if either is missing)."""
    parsed = parse_v2_time(start) if start else None
    if parsed is None or seconds is None or not parsed.hour:
        return None
    moment = parsed.aware(ctx.config.timezone) + timedelta(seconds=seconds)
    return moment.isoformat().replace("+00:00", "Z")


def minutes(seconds: int | None) -> int | None:
    """Return whole minutes (rounded up) for Appointment.minutesDuration, None for zero."""
    if not seconds or seconds <= 0:
        return None
    return -(-seconds // 60)

"""Server time as the store keeps it (integer microseconds, UTC) and as FHIR and HTTP show it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    """Return the current time in microseconds since the Unix epoch."""
    return time.time_ns() // 1000


def to_datetime(us: int) -> datetime:
    """Return an aware UTC datetime for microseconds since the epoch."""
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def fhir_instant(us: int) -> str:
    """Format as a FHIR instant with microseconds, e.g. 2026-11-25T06:30:00.123456Z."""
    seconds, micros = divmod(us, 1_000_000)
    return f"{_second(seconds)}.{micros:06d}Z"


# Every request's audit record formats the time: within a second only the fraction moves.
@lru_cache(maxsize=64)
def _second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def http_date(us: int) -> str:
    """Format as an HTTP-date (RFC 9110), e.g. for Last-Modified."""
    return _http_second(us // 1_000_000)


# RFC 9110's names, whatever the process's locale (strftime's %a and %b follow it).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# Every read answers with its version's Last-Modified; versions written in the same second
# (an import, a busy hour) share the formatted date.
@lru_cache(maxsize=1024)
def _http_second(seconds: int) -> str:
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def parse_instant(value: str) -> int:
    """Parse an ISO 8601 date or dateTime (as in ``_since``) to microseconds; ValueError if bad."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) == 4 and text.isdigit():
        text += "-01-01"
    elif len(text) == 7:
        text += "-01"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return (parsed - _EPOCH) // timedelta(microseconds=1)

"""Server time as the store keeps it (integer microseconds, UTC) and as FHIR and HTTP show it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
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
    return format_datetime(to_datetime(us), usegmt=True)


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

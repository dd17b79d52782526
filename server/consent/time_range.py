"""Half-open [low, high) spans of UTC microseconds built from FHIR dates and Periods.

A FHIR date covers the whole span its precision implies (``2024`` is the whole year),
so a Period ending ``2024-12-31`` includes that last day. An open end is unbounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.search.dates import date_range
from server.search.index_entries import DATE_MAX, DATE_MIN

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A span of time [low, high) in microseconds since the Unix epoch (UTC)."""

    low: int = DATE_MIN
    high: int = DATE_MAX

    @classmethod
    def from_value(cls, value: str) -> TimeRange:
        """Span a FHIR date, dateTime or instant covers; ValueError if it is not one."""
        low, high = date_range(value)
        return cls(low, high)

    @classmethod
    def from_period(cls, period: dict[str, Any]) -> TimeRange:
        """Span of a FHIR Period dict; ValueError if a bound is not a FHIR date."""
        start, end = period.get("start"), period.get("end")
        low = date_range(start)[0] if isinstance(start, str) else DATE_MIN
        high = date_range(end)[1] if isinstance(end, str) else DATE_MAX
        return cls(low, high)

    def overlaps(self, other: TimeRange) -> bool:
        """Whether the two spans share at least one instant."""
        return self.low < other.high and other.low < self.high

    def contains(self, moment_us: int) -> bool:
        """Whether the instant (microseconds since the epoch) lies inside the span."""
        return self.low <= moment_us < self.high


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime; ValueError for a naive one."""
    if moment.tzinfo is None:
        raise ValueError("a consent decision needs an aware datetime for 'now'")
    return (moment - _EPOCH) // timedelta(microseconds=1)

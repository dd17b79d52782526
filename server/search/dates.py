"""FHIR date, dateTime and instant values as [low, high) ranges of UTC microseconds.

A value covers the whole span its precision implies (search.html#date): ``2024`` is
[2024-01-01T00:00Z, 2025-01-01T00:00Z), ``2024-02-29T10:00+01:00`` is one minute
starting at 09:00Z. Values without a time zone are read as UTC (this server's zone).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from server.search.index_entries import DATE_MAX, DATE_MIN

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PATTERN = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError(f"bad time zone {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _add_months(moment: datetime, months: int) -> datetime | None:
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    if year > 9999:
        return None
    return moment.replace(year=year, month=month_index % 12 + 1)


def date_range(value: str) -> tuple[int, int]:
    """Return the [low, high) microsecond range a FHIR date/dateTime/instant covers.

    Raise ValueError for anything that is not one (including impossible dates).
    """
    match = _PATTERN.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"not a FHIR date: {value!r}")
    parts = match.groupdict()
    zone = _zone(parts["tz"])
    fraction = parts["f"] or ""
    start = datetime(
        int(parts["y"]),
        int(parts["m"] or 1),
        int(parts["d"] or 1),
        int(parts["H"] or 0),
        int(parts["M"] or 0),
        int(parts["S"] or 0),
        int(fraction[:6].ljust(6, "0")) if fraction else 0,
        tzinfo=zone,
    )
    end: datetime | None
    if parts["m"] is None:
        end = _add_months(start, 12)
    elif parts["d"] is None:
        end = _add_months(start, 1)
    else:
        span = _span(parts["H"], parts["S"], fraction)
        try:
            end = start + span
        except OverflowError:
            end = None
    low = _micros(start)
    high = DATE_MAX if end is None else _micros(end)
    return max(low, DATE_MIN), min(high, DATE_MAX)


def _span(hour: str | None, second: str | None, fraction: str) -> timedelta:
    if hour is None:
        return timedelta(days=1)
    if second is None:
        return timedelta(minutes=1)
    if not fraction:
        return timedelta(seconds=1)
    return timedelta(microseconds=10 ** max(0, 6 - len(fraction)))

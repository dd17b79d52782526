"""Weekly hours into slot times: the pure part of ``Schedule/$generate-slots``.

The hours are local times of a time zone (``timezone``, IANA, default UTC), so a
clinic's 09:00 stays 09:00 across daylight-saving changes; slots are stored in UTC.
Parameter names (documented in the README, "Scheduling"):

- ``available-time`` (repeated), parts ``day-of-week`` (repeated code ``mon``..``sun``),
  ``start`` and ``end`` (time);
- ``slot-minutes`` (positiveInt);
- ``start``, ``end`` (date, both included; default the Schedule's ``planningHorizon``);
- ``exception`` (repeated), parts ``date`` and, for part of a day, ``start`` and ``end``;
- ``service-type`` (CodeableConcept, repeated; default the Schedule's ``serviceType``);
- ``timezone`` (code, IANA name).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.errors import InvalidRequest
from server.scheduling.office_day import known_zone
from server.scheduling.parameters import Param, named, parameters_of, single

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Slots one call may make (a year of 5-minute slots around the clock is 105,120).
MAX_SLOTS = 110_000


@dataclass(frozen=True, slots=True)
class Hours:
    """Open hours on some weekdays (0 Monday), local times."""

    days: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Closed:
    """An exception: a whole day (no times) or part of one, local times."""

    day: date
    start: time | None = None
    end: time | None = None

    def covers(self, low: datetime, high: datetime) -> bool:
        if low.date() != self.day:
            return False
        if self.start is None or self.end is None:
            return True
        return low.time() < self.end and self.start < high.time()


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """What $generate-slots was asked for."""

    hours: tuple[Hours, ...]
    minutes: int
    first: date | None
    last: date | None
    closed: tuple[Closed, ...]
    service_types: tuple[dict[str, Any], ...]
    zone: ZoneInfo


def read_request(body: dict[str, Any]) -> SlotRequest:
    """The request in a Parameters body; 400 naming the parameter that is wrong."""
    params = parameters_of(body)
    hours = tuple(_hours(p) for p in named(params, "available-time"))
    if not hours:
        raise InvalidRequest(
            "At least one available-time (day-of-week, start, end) is needed",
            expression="Parameters.parameter",
        )
    length = single(params, "slot-minutes")
    if length is None:
        raise InvalidRequest("slot-minutes is needed", expression="Parameters.parameter")
    minutes = length.value("PositiveInt")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440:
        raise InvalidRequest(
            "slot-minutes is a whole number of minutes from 1 to 1440",
            expression=length.expression,
        )
    first, last = (_date_of(single(params, name)) for name in ("start", "end"))
    service_types = tuple(p.value("CodeableConcept") for p in named(params, "service-type"))
    return SlotRequest(
        hours,
        minutes,
        first,
        last,
        tuple(_closed(p) for p in named(params, "exception")),
        service_types,
        _zone(single(params, "timezone")),
    )


def slot_times(
    request: SlotRequest, first: date, last: date
) -> Iterator[tuple[datetime, datetime]]:
    """Each slot's (start, end) in UTC from ``first`` to ``last`` (included), in order."""
    step = timedelta(minutes=request.minutes)
    day = first
    while day <= last:
        found: list[tuple[datetime, datetime]] = []
        for hours in request.hours:
            if day.weekday() not in hours.days:
                continue
            low = datetime.combine(day, hours.start)
            end = datetime.combine(day, hours.end)
            while low + step <= end:
                high = low + step
                if not any(c.covers(low, high) for c in request.closed):
                    found.append((_utc(low, request.zone), _utc(high, request.zone)))
                low = high
        yield from sorted(set(found))
        day += timedelta(days=1)


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def _hours(param: Param) -> Hours:
    parts = param.parts()
    days: set[int] = set()
    for part in named(parts, "day-of-week"):
        code = part.value("Code")
        if code not in DAYS:
            raise InvalidRequest(
                f"day-of-week is one of {', '.join(DAYS)}, not {code!r}", expression=part.expression
            )
        days.add(DAYS.index(code))
    start, end = _time_of(single(parts, "start")), _time_of(single(parts, "end"))
    if not days or start is None or end is None:
        raise InvalidRequest(
            "available-time needs day-of-week, start and end", expression=param.expression
        )
    if end <= start:
        raise InvalidRequest("available-time ends before it starts", expression=param.expression)
    return Hours(frozenset(days), start, end)


def _closed(param: Param) -> Closed:
    parts = param.parts()
    day = _date_of(single(parts, "date"))
    if day is None:
        raise InvalidRequest("An exception needs a date", expression=param.expression)
    start, end = _time_of(single(parts, "start")), _time_of(single(parts, "end"))
    if (start is None) != (end is None) or (start is not None and end is not None and end <= start):
        raise InvalidRequest(
            "An exception has both start and end (start first), or neither",
            expression=param.expression,
        )
    return Closed(day, start, end)


def _date_of(param: Param | None) -> date | None:
    if param is None:
        return None
    text = param.value("Date")
    try:
        if isinstance(text, str) and len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidRequest(f"{param.name} is a date (YYYY-MM-DD)", expression=param.expression)


def _time_of(param: Param | None) -> time | None:
    if param is None:
        return None
    text = param.value("Time")
    try:
        return time.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidRequest(
            f"{param.name} is a time (hh:mm:ss)", expression=param.expression
        ) from None


def _zone(param: Param | None) -> ZoneInfo:
    if param is None:
        return ZoneInfo("UTC")
    name = param.value("Code")
    zone = known_zone(name) if isinstance(name, str) else None
    if zone is None:
        raise InvalidRequest(
            f"timezone is an IANA time zone name (America/New_York), not {name!r}",
            expression=param.expression,
        )
    return zone

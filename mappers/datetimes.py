"""HL7 v2 DTM/TS/DT values to FHIR date, dateTime and instant, keeping their precision.

v2: ``YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`` (v2.5 TS may add a ``^precision``
component, which the caller drops). FHIR requires seconds and a time zone once a time
is given (datatypes.html#dateTime): missing seconds become ``:00``, and a value without
an offset is read in the site's time zone (MappingConfig.timezone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

_DTM = re.compile(
    r"^(?P<y>\d{4})(?P<mo>\d{2})?(?P<d>\d{2})?(?P<h>\d{2})?(?P<mi>\d{2})?(?P<s>\d{2})?"
    r"(?:\.(?P<f>\d{1,4}))?(?P<tz>[+-]\d{4})?$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class V2Time:
    """A parsed v2 date/time: its parts as given, and the offset (given or assumed)."""

    year: str
    month: str
    day: str
    hour: str
    minute: str
    second: str
    fraction: str
    offset: str  # "+HHMM"/"-HHMM" as received, or "" when the value has none

    def fhir_date(self) -> str:
        """Return the FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)."""
        return "-".join(p for p in (self.year, self.month, self.day) if p)

    def fhir_datetime(self, zone: str) -> str:
        """Return the FHIR dateTime; date-only values stay dates."""
        if not self.hour:
            return self.fhir_date()
        fraction = f".{self.fraction}" if self.fraction else ""
        clock = f"{self.hour}:{self.minute or '00'}:{self.second or '00'}{fraction}"
        return f"{self.fhir_date()}T{clock}{self._offset_text(zone)}"

    def aware(self, zone: str) -> datetime:
        """Return the moment as an aware datetime (missing parts are the earliest)."""
        naive = datetime(
            int(self.year),
            int(self.month or 1),
            int(self.day or 1),
            int(self.hour or 0),
            int(self.minute or 0),
            int(self.second or 0),
            int((self.fraction or "0").ljust(6, "0")[:6]),
        )
        if self.offset:
            sign = -1 if self.offset[0] == "-" else 1
            delta = timedelta(hours=int(self.offset[1:3]), minutes=int(self.offset[3:5]))
            return naive.replace(tzinfo=timezone(sign * delta))
        return naive.replace(tzinfo=_zone(zone))

    def _offset_text(self, zone: str) -> str:
        if self.offset:
            text = f"{self.offset[:3]}:{self.offset[3:]}"
        else:
            utc_offset = self.aware(zone).utcoffset() or timedelta(0)
            minutes = int(utc_offset.total_seconds()) // 60
            sign = "-" if minutes < 0 else "+"
            text = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        return "Z" if text in ("+00:00", "-00:00") else text


@lru_cache(maxsize=32)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def parse_v2_time(value: str) -> V2Time | None:
    """Parse a v2 DTM/TS/DT value; None when it is empty or not a valid date."""
    match = _DTM.match(value.strip())
    if match is None:
        return None
    parts = match.groupdict(default="")
    parsed = V2Time(
        parts["y"], parts["mo"], parts["d"], parts["h"], parts["mi"], parts["s"],
        parts["f"], parts["tz"],
    )  # fmt: skip
    try:
        parsed.aware("UTC")  # rejects month 13, hour 25, February 30 ...
    except ValueError:
        return None
    return parsed


# The same times recur across messages (event times, slots, birth dates), and building
# the text (with the zone's offset at that moment) costs more than looking it up.
@lru_cache(maxsize=16_384)
def to_fhir_datetime(value: str, zone: str = "UTC") -> str | None:
    """Return the FHIR dateTime for a v2 value, or None when it is not one."""
    parsed = parse_v2_time(value)
    return parsed.fhir_datetime(zone) if parsed else None


@lru_cache(maxsize=16_384)
def to_fhir_date(value: str) -> str | None:
    """Return the FHIR date (time dropped) for a v2 value, or None when it is not one."""
    parsed = parse_v2_time(value)
    return parsed.fhir_date() if parsed else None


@lru_cache(maxsize=16_384)
def epoch_microseconds(value: str, zone: str = "UTC") -> int | None:
    """Return the moment of a v2 value as microseconds since the epoch (UTC)."""
    parsed = parse_v2_time(value)
    if parsed is None:
        return None
    delta = parsed.aware(zone) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def clear_caches() -> None:
    """Forget every parsed and converted value (for measurements that must not reuse them)."""
    for cached in (parse_v2_time, to_fhir_datetime, to_fhir_date, epoch_microseconds):
        cached.cache_clear()

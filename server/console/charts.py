"""The home page's chart: HL7v2 messages per day, stacked by outcome, as SVG geometry.

Pure: the ``$hl7v2-ledger-summary`` Parameters in, bars out; the template draws them
and lists the same numbers in a table for whoever cannot see the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

WIDTH: Final = 900
HEIGHT: Final = 180
AXIS: Final = 20  # room under the bars for the day labels
GAP: Final = 6


@dataclass(frozen=True, slots=True)
class Segment:
    outcome: str
    count: int
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class Bar:
    date: str
    x: float
    width: float
    total: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class DayChart:
    outcomes: tuple[str, ...]
    bars: tuple[Bar, ...]
    peak: int
    width: int = WIDTH
    height: int = HEIGHT
    axis: int = AXIS


def _days(summary: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    days = []
    for day in summary.get("parameter", ()):
        parts = {part.get("name"): part for part in day.get("part", ())}
        date = str(parts.get("date", {}).get("valueDate", ""))
        counts = {
            str(name): int(part.get("valueInteger", 0))
            for name, part in parts.items()
            if name != "date"
        }
        days.append((date, counts))
    return days


def day_chart(summary: dict[str, Any]) -> DayChart:
    """The bars of a ``$hl7v2-ledger-summary`` answer, scaled to the tallest day."""
    days = _days(summary)
    outcomes = tuple(dict.fromkeys(name for _, counts in days for name in counts))
    peak = max((sum(counts.values()) for _, counts in days), default=0)
    plot = HEIGHT - AXIS
    slot = WIDTH / max(len(days), 1)
    bars = []
    for index, (date, counts) in enumerate(days):
        top = float(plot)
        segments = []
        for outcome in outcomes:
            count = counts.get(outcome, 0)
            if not count:
                continue
            height = plot * count / peak
            top -= height
            segments.append(Segment(outcome, count, top, height))
        bars.append(
            Bar(date, index * slot + GAP / 2, slot - GAP, sum(counts.values()), tuple(segments))
        )
    return DayChart(outcomes, tuple(bars), peak)

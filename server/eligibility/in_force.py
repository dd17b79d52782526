"""Whether a Coverage is in force over days of service: its status and its period.

Dates are compared as calendar days (the first ten characters of a date or dateTime):
a coverage whose period ends on a day covers that whole day. A period without a start
or an end is open on that side (datatypes.html#Period).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class InForce:
    """The verdict on one coverage, and why not when it is not in force."""

    active: bool
    reason: str | None = None  # None when active
    element: str | None = None  # Coverage.status or Coverage.period


def _day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and value else None


def in_force(coverage: dict[str, Any], first: str, last: str | None = None) -> InForce:
    """Whether ``coverage`` is active on every day from ``first`` to ``last`` (YYYY-MM-DD)."""
    last = last or first
    status = coverage.get("status")
    if status != "active":
        return InForce(False, f"the coverage's status is {status or 'not set'}", "Coverage.status")
    period = coverage.get("period") or {}
    start, end = _day(period.get("start")), _day(period.get("end"))
    if start is not None and first < start:
        return InForce(False, f"the coverage starts on {start}", "Coverage.period")
    if end is not None and last > end:
        return InForce(False, f"the coverage ended on {end}", "Coverage.period")
    return InForce(True)

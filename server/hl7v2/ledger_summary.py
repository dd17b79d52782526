"""``$hl7v2-ledger-summary``: the ledger's messages per UTC day and outcome, as Parameters.

The console's home page charts it; an operator can ask it with curl. One ``day``
parameter per day of the window, oldest first, days without traffic included, each
with its ``date`` and a count per outcome (every outcome, zero or not).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from server.errors import InvalidRequest

DEFAULT_DAYS: Final = 7
MAX_DAYS: Final = 90
OUTCOMES: Final = ("applied", "duplicate", "stale", "rejected", "failed")
_EPOCH: Final = date(1970, 1, 1)
_DAY_MICROSECONDS: Final = 86_400_000_000


def window_days(value: str | None) -> int:
    """The ``days`` parameter: 1 to MAX_DAYS, DEFAULT_DAYS when absent."""
    if value is None:
        return DEFAULT_DAYS
    if not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
        raise InvalidRequest(f"days must be a whole number from 1 to {MAX_DAYS}", expression="days")
    return int(value)


def first_day(days: int, today: date | None = None) -> date:
    return (today or datetime.now(UTC).date()) - timedelta(days=days - 1)


def day_start(day: date) -> int:
    """Midnight UTC of ``day`` in microseconds since the epoch (the ledger's clock)."""
    return (day - _EPOCH).days * _DAY_MICROSECONDS


def summary_parameters(
    counts: list[tuple[int, str, int]], start: date, days: int
) -> dict[str, Any]:
    """The Parameters of the days from ``start`` on, from the store's (day, outcome, count)."""
    by_day: dict[int, dict[str, int]] = {}
    for first, outcome, count in counts:
        by_day.setdefault(first, {})[outcome] = count
    parameters = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        found = by_day.get(day_start(day), {})
        outcomes = [*OUTCOMES, *sorted(set(found) - set(OUTCOMES))]
        parts: list[dict[str, Any]] = [{"name": "date", "valueDate": day.isoformat()}]
        parts += [{"name": name, "valueInteger": found.get(name, 0)} for name in outcomes]
        parameters.append({"name": "day", "part": parts})
    return {"resourceType": "Parameters", "parameter": parameters}

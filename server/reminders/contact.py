"""Which of a patient's contact points a reminder goes to.

ContactPoint.rank orders preference (1 highest; an unranked one comes after every ranked
one); among equal ranks a mobile number or personal address comes before a home, work or
temporary one. A contact point marked ``old`` or whose period has ended is no longer
in use (datatypes.html#ContactPoint).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

_USE_ORDER = {"mobile": 0, "home": 1, "work": 2, "temp": 3}


def _in_use(point: dict[str, Any], today: str) -> bool:
    if point.get("use") == "old" or not point.get("value"):
        return False
    end = (point.get("period") or {}).get("end")
    return not (isinstance(end, str) and end[:10] < today)


def _preference(indexed: tuple[int, dict[str, Any]]) -> tuple[float, int, int]:
    index, point = indexed
    rank = point.get("rank")
    ranked = rank if isinstance(rank, int) and rank > 0 else math.inf
    return ranked, _USE_ORDER.get(str(point.get("use")), len(_USE_ORDER)), index


def preferred_contact(
    patient: dict[str, Any], systems: frozenset[str], today: str | None = None
) -> dict[str, str] | None:
    """The patient's preferred contact point of one of ``systems`` (system, value), or None."""
    today = today or datetime.now(UTC).date().isoformat()
    usable = [
        (index, point)
        for index, point in enumerate(patient.get("telecom") or ())
        if isinstance(point, dict) and point.get("system") in systems and _in_use(point, today)
    ]
    if not usable:
        return None
    _, best = min(usable, key=_preference)
    return {"system": str(best["system"]), "value": str(best["value"])}

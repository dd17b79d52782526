"""The reminder window: ``within`` as ``48h``, ``30m``, ``2d``, ``90s``, hours, or a Duration."""

from __future__ import annotations

import re
from typing import Any

from server.errors import InvalidRequest

DEFAULT_WITHIN_S = 48 * 3600.0
_TEXT = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|min|h|d|wk)?")
# Duration units (UCUM codes) and the letters of the query form, in seconds.
_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "wk": 604800}


def _bad(value: Any) -> InvalidRequest:
    return InvalidRequest(
        f"within {value!r} is no duration: give e.g. 48h, 30m, 2d, or a Duration"
        " (value and a UCUM unit s, min, h, d or wk), more than zero",
        expression="within",
    )


def within_text(text: str) -> float:
    """Seconds of a ``within`` written as text; a bare number is hours."""
    match = _TEXT.fullmatch(text.strip())
    if match is None or float(match[1]) <= 0:
        raise _bad(text)
    return float(match[1]) * _SECONDS[match[2] or "h"]


def within_parameter(parameter: dict[str, Any]) -> float:
    """Seconds of a Parameters ``within``: valueDuration, valueString or valueInteger (hours)."""
    if isinstance(text := parameter.get("valueString"), str):
        return within_text(text)
    if isinstance(hours := parameter.get("valueInteger"), int):
        return within_text(str(hours))
    duration = parameter.get("valueDuration")
    if isinstance(duration, dict):
        value, unit = duration.get("value"), duration.get("code") or duration.get("unit")
        if isinstance(value, int | float) and value > 0 and unit in _SECONDS:
            return float(value) * _SECONDS[unit]
        raise _bad(duration)
    raise _bad(parameter)

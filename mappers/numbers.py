"""v2 NM/SI values to FHIR numbers, refusing what FHIR cannot hold (NaN, 1e400, 2**40)."""

from __future__ import annotations

import re
from decimal import Decimal

_NM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")  # v2 NM: optional sign, digits, one point
MAX_INTEGER = 2_147_483_647  # FHIR integer and positiveInt are 32-bit


def decimal(text: str) -> Decimal | None:
    """Return the value of a v2 NM, None when it is not one."""
    number = text.strip()
    return Decimal(number) if _NM.match(number) else None


def json_number(value: Decimal) -> int | float:
    """Return a Decimal as a JSON number (an int when it is whole)."""
    return int(value) if value == value.to_integral_value() else float(value)


def positive_int(text: str) -> int | None:
    """Return a FHIR positiveInt from a v2 NM/SI value, None otherwise."""
    number = text.strip()
    if number.isascii() and number.isdigit() and 0 < int(number) <= MAX_INTEGER:
        return int(number)
    return None

"""How both stores order index values: the end of a prefix range, and keyset positions.

Shared by the SQLite and MongoDB adapters, which render them in their own query
languages; the order itself (code points, nulls first) is the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

# Sorts after every other character: the values starting with ``p`` are the range
# [p, p + PREFIX_END).
PREFIX_END = "\U0010ffff"


class Past(Enum):
    """How a row's value must compare with the position's for the row to come after it."""

    NOT_NULL = "not null"  # the position's value is null, ascending: any value follows
    BELOW_OR_NULL = "below or null"  # descending: a smaller value, or null (last)
    ABOVE = "above"  # ascending: a larger value


@dataclass(frozen=True, slots=True)
class KeysetStep:
    """One way a row comes after a position: equal on earlier columns, past it on one."""

    equal: list[tuple[str, Any]]
    column: str
    past: Past
    value: Any


def keyset_steps(columns: list[str], descending: list[bool], values: list[Any]) -> list[KeysetStep]:
    """The rows strictly after ``values`` in the order of ``columns`` (null first), as steps.

    A row is after the position when it matches any step. Nothing follows a null on a
    descending column, so that column has no step.
    """
    steps: list[KeysetStep] = []
    for i, (column, desc, value) in enumerate(zip(columns, descending, values, strict=True)):
        if value is None and desc:
            continue
        past = Past.NOT_NULL if value is None else Past.BELOW_OR_NULL if desc else Past.ABOVE
        equal = list(zip(columns[:i], values[:i], strict=True))
        steps.append(KeysetStep(equal, column, past, value))
    return steps

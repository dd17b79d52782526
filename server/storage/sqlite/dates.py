"""The SQL row condition of a date search prefix, over ``low``/``high`` columns."""

from __future__ import annotations

from server.search.query import DateAllCond, DateCond, DateOp
from server.storage.sqlite.sql import Sql


def date_predicate(
    op: DateOp, low: int, high: int, columns: tuple[str, str] = ("low", "high")
) -> tuple[str, tuple[int, ...]]:
    """The row condition of a date prefix (search.html#prefix) on columns ``low``/``high``
    (or the two ``columns`` named)."""
    lo, hi = columns
    within = f"({lo} >= ? AND {hi} <= ?)"
    return {
        DateOp.EQ: (within, (low, high)),
        DateOp.NE: (f"NOT {within}", (low, high)),
        DateOp.GT: (f"{hi} > ?", (high,)),
        DateOp.LT: (f"{lo} < ?", (low,)),
        DateOp.GE: (f"({hi} > ? OR {within})", (high, low, high)),
        DateOp.LE: (f"({lo} < ? OR {within})", (low, low, high)),
        DateOp.SA: (f"{lo} >= ?", (high,)),
        DateOp.EB: (f"{hi} <= ?", (low,)),
        DateOp.AP: (f"({lo} < ? AND {hi} > ?)", (high, low)),
    }[op]


def date_where(
    cond: DateCond | DateAllCond,
    sql: Sql,
    widest: int | None,
    columns: tuple[str, str] = ("low", "high"),
) -> None:
    """Append `` AND ...`` for the rows (``low``, ``high``) a date condition matches.

    The bounds on ``low`` come first: they let an index led by ``low`` serve the range.
    ``widest`` bounds ``high - low`` of the parameter's stored values (None: unknown).
    """
    first, end = cond.low_bounds(widest)
    if first is not None:
        sql.add(f" AND {columns[0]} >= ?", first)
    if end is not None:
        sql.add(f" AND {columns[0]} < ?", end)
    for part in cond.parts if isinstance(cond, DateAllCond) else (cond,):
        predicate, args = date_predicate(part.op, part.low, part.high, columns)
        sql.add(f" AND {predicate}", *args)

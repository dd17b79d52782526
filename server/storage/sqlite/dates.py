"""The SQL row condition of a date search prefix, over ``low``/``high`` columns."""

from __future__ import annotations

from server.search.query import DateAllCond, DateCond, DateOp
from server.storage.sqlite.sql import Sql


def date_predicate(op: DateOp, low: int, high: int) -> tuple[str, tuple[int, ...]]:
    """The row condition of a date prefix (search.html#prefix) on columns ``low``/``high``."""
    within = "(low >= ? AND high <= ?)"
    return {
        DateOp.EQ: (within, (low, high)),
        DateOp.NE: (f"NOT {within}", (low, high)),
        DateOp.GT: ("high > ?", (high,)),
        DateOp.LT: ("low < ?", (low,)),
        DateOp.GE: (f"(high > ? OR {within})", (high, low, high)),
        DateOp.LE: (f"(low < ? OR {within})", (low, low, high)),
        DateOp.SA: ("low >= ?", (high,)),
        DateOp.EB: ("high <= ?", (low,)),
        DateOp.AP: ("(low < ? AND high > ?)", (high, low)),
    }[op]


def date_where(cond: DateCond | DateAllCond, sql: Sql, widest: int | None) -> None:
    """Append `` AND ...`` for the rows (``low``, ``high``) a date condition matches.

    The bounds on ``low`` come first: they let an index led by ``low`` serve the range.
    ``widest`` bounds ``high - low`` of the parameter's stored values (None: unknown).
    """
    first, end = cond.low_bounds(widest)
    if first is not None:
        sql.add(" AND low >= ?", first)
    if end is not None:
        sql.add(" AND low < ?", end)
    for part in cond.parts if isinstance(cond, DateAllCond) else (cond,):
        predicate, args = date_predicate(part.op, part.low, part.high)
        sql.add(f" AND {predicate}", *args)

"""Split a driving clause into rid-ordered arms, so an unsorted page stops when it is full.

Without ``_sort`` a page holds the matches with the smallest rids after the cursor. A
clause whose matches span many index values (a name prefix, a date range) would have
every match listed and sorted before the page could be cut, so its cost would grow
with the data. Split into one arm per distinct value, each arm is an equality on every
index column before ``rid``, which the index yields in rid order; SQLite merges the
arms (MERGE UNION, duplicates dropped) and stops reading once the page is full.

The distinct values are found by skip-scanning the index, one seek per value, and
only up to ``MAX_ARMS``: past that the caller lists the matches as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

from server.search import query as sq
from server.search.text_fold import fold
from server.storage.ordering import PREFIX_END
from server.storage.sqlite.dates import date_where
from server.storage.sqlite.sql import Sql

MAX_ARMS = 48
_LOWEST = -(2**63)  # below every stored ``high``: a position before all rows of a ``low``

Key = Callable[[str], int | None]
Widest = Callable[[int], int | None]  # a date parameter's widest indexed value


class _TooMany(Exception):
    """A clause spans more distinct index values than arms are worth."""


def clause_arms(
    conn: sqlite3.Connection, key: Key, widest: Widest, clause: sq.Clause
) -> list[Sql] | None:
    """The rid-ordered arms of a positive clause, or None when it cannot be split.

    An empty list means the clause matches nothing (no value was ever indexed).
    """
    arms: list[Sql] = []
    try:
        for cond in clause.any_of:
            found = _condition_arms(conn, key, widest, cond)
            if found is None:
                return None
            arms.extend(found)
            if len(arms) > MAX_ARMS:
                return None
    except _TooMany:
        return None
    return arms


def _condition_arms(
    conn: sqlite3.Connection, key: Key, widest: Widest, cond: sq.Condition
) -> list[Sql] | None:
    if isinstance(cond, sq.ChainCond | sq.HasCond | sq.AllOfCond):
        return None
    if isinstance(cond, sq.MissingCond) and cond.missing:  # no index holds the rows it wants
        return None
    p = key(cond.param)
    if p is None:
        return []
    if isinstance(cond, sq.MissingCond):
        return [Sql().add("SELECT rid FROM idx_sort WHERE p = ?", p)]
    if isinstance(cond, sq.StringCond):
        return _string(conn, p, cond)
    if isinstance(cond, sq.TokenCond):
        return _token(conn, p, cond)
    if isinstance(cond, sq.ReferenceCond):
        return _reference(conn, p, cond)
    if isinstance(cond, sq.UriCond):
        return _uri(p, cond)
    return _date(conn, p, cond, widest(p))


def _string(conn: sqlite3.Connection, p: int, cond: sq.StringCond) -> list[Sql] | None:
    select = "SELECT rid FROM idx_string WHERE p = ? AND folded = ?"
    if cond.match is sq.StringMatch.EXACT:
        return [Sql().add(f"{select} AND exact = ?", p, fold(cond.value), cond.value)]
    if cond.match is not sq.StringMatch.PREFIX:
        return None
    values = _distinct(
        conn,
        "SELECT min(folded) FROM idx_string WHERE p = ? AND folded {} ? AND folded < ?",
        (p,),
        cond.value,
        (cond.value + PREFIX_END,),
    )
    return [Sql().add(select, p, value) for value in values]


def _token(conn: sqlite3.Connection, p: int, cond: sq.TokenCond) -> list[Sql] | None:
    if cond.text is not None:
        return None
    if cond.code is None:
        if cond.system is None:
            return None
        return [_system_arm(Sql().add("SELECT rid FROM idx_token WHERE p = ?", p), cond.system)]

    def code(system: str) -> Sql:
        select = Sql().add("SELECT rid FROM idx_token WHERE p = ? AND code = ?", p, cond.code)
        return _system_arm(select, system)

    if cond.system is not None:
        return [code(cond.system)]
    systems = list(
        _distinct(
            conn,
            "SELECT min(system) FROM idx_token WHERE p = ? AND code = ? AND system {} ?",
            (p, cond.code),
            "",
            (),
        )
    )
    no_system = "SELECT 1 FROM idx_token WHERE p = ? AND code = ? AND system IS NULL"
    if conn.execute(no_system, (p, cond.code)).fetchone() is not None:
        systems.append("")  # the arm of codes without a system
    return [code(system) for system in systems]


def _system_arm(sql: Sql, system: str) -> Sql:
    return sql.add(" AND system IS NULL") if system == "" else sql.add(" AND system = ?", system)


def _date(
    conn: sqlite3.Connection, p: int, cond: sq.DateCond | sq.DateAllCond, widest: int | None
) -> list[Sql] | None:
    first, end = cond.low_bounds(widest)
    if first is None or end is None:  # open-ended: its distinct values are unbounded
        return None
    # One statement for every step, from just before ``first``; only its position changes.
    step = Sql().add(
        "SELECT low, high FROM idx_date WHERE p = ? AND (low, high) > (?, ?)", p, first, _LOWEST
    )
    date_where(cond, step, widest)
    sql, args = f"{step} ORDER BY low, high LIMIT 1", step.args
    arms: list[Sql] = []
    while (row := conn.execute(sql, args).fetchone()) is not None:
        if len(arms) == MAX_ARMS:
            raise _TooMany
        low, high = args[1], args[2] = row
        arms.append(
            Sql().add("SELECT rid FROM idx_date WHERE p = ? AND low = ? AND high = ?", p, low, high)
        )
    return arms


def _reference(conn: sqlite3.Connection, p: int, cond: sq.ReferenceCond) -> list[Sql] | None:
    if cond.url is not None:
        return [Sql().add("SELECT rid FROM idx_reference WHERE p = ? AND url = ?", p, cond.url)]
    select = "SELECT rid FROM idx_reference WHERE p = ? AND target_id = ? AND target_type = ?"
    types = (
        [cond.target_type]
        if cond.target_type is not None
        else _distinct(
            conn,
            "SELECT min(target_type) FROM idx_reference WHERE p = ? AND target_id = ? "
            "AND target_type {} ?",
            (p, cond.target_id),
            "",
            (),
        )
    )
    return [Sql().add(select, p, cond.target_id, kind) for kind in types]


def _uri(p: int, cond: sq.UriCond) -> list[Sql] | None:
    select = "SELECT rid FROM idx_uri WHERE p = ? AND value = ?"
    if cond.match is sq.UriMatch.EQ:
        return [Sql().add(select, p, cond.value)]
    if cond.match is sq.UriMatch.ABOVE:
        return [Sql().add(select, p, value) for value in cond.candidates]
    return None


def _distinct(
    conn: sqlite3.Connection,
    template: str,
    fixed: tuple[object, ...],
    start: str,
    tail: tuple[object, ...],
) -> Iterator[str]:
    """Skip-scan the distinct values of one index column from ``start`` (inclusive).

    ``template`` selects ``min(column)`` with a ``{}`` where the comparison with the
    previous value goes: ``>=`` the first time, ``>`` after. Raises _TooMany past
    MAX_ARMS values.
    """
    found = 0
    value, comparison = start, ">="
    while True:
        row = conn.execute(template.format(comparison), (*fixed, value, *tail)).fetchone()
        if row is None or row[0] is None:
            return
        found += 1
        if found > MAX_ARMS:
            raise _TooMany
        value, comparison = row[0], ">"
        yield value

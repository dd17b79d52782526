"""Compile search conditions to SQLite SELECTs of rids over the ``idx_*`` tables.

Each condition is a SELECT of rids from one ``idx_<kind>`` table: an equality or a
range on a B-tree index led by the parameter key (which also names the type), so a
condition never walks a whole resource type. Correlated, a condition probes the
``(rid)`` index for one candidate. Chains and ``_has`` join through ``idx_reference``
and ``resource (type, id)``, each inner match a named table of the statement's WITH
(``CommonTables``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from server.search import query as sq
from server.storage.audit_rows import AUDIT_TYPE
from server.storage.sqlite.audit_where import events_matching, events_referencing
from server.storage.sqlite.dates import date_where
from server.storage.sqlite.index import ParamKeys
from server.storage.sqlite.matches import reference_where, string_where, token_where, uri_where
from server.storage.sqlite.sql import CommonTables, Sql

NOTHING = "SELECT NULL AS rid WHERE 0"


class SqlSearch:
    """Compiles conditions with the parameter keys of one connection."""

    def __init__(self, conn: sqlite3.Connection, keys: ParamKeys) -> None:
        self.conn = conn
        self.keys = keys
        self._widths: dict[int, int | None] = {}
        # The inner matches of joins, shared by the joins with the same inner match (a
        # chain through a reference to several types repeats its tail under each).
        self.joins = CommonTables()

    def key(self, resource_type: str, code: str) -> int | None:
        return self.keys.get(self.conn, resource_type, code)

    def widest(self, p: int) -> int | None:
        """The widest value indexed under date parameter ``p`` (None: unknown).

        Read once per search, inside its read transaction: it only ever grows, so a
        value cached across searches could miss a wider one written since.
        """
        if p not in self._widths:
            row = self.conn.execute("SELECT widest FROM date_width WHERE p = ?", (p,)).fetchone()
            self._widths[p] = None if row is None else int(row[0])
        return self._widths[p]

    def where(self, resource_type: str, clauses: tuple[sq.Clause, ...], rid: str, sql: Sql) -> None:
        """Append `` AND <clause>`` for each clause, about the rows whose rid is ``rid``."""
        for clause in clauses:
            sql.add(f" AND {rid} {'NOT IN' if clause.negate else 'IN'} (")
            self.rids(resource_type, clause, sql)
            sql.add(")")

    def check(self, resource_type: str, clauses: tuple[sq.Clause, ...], rid: str, sql: Sql) -> None:
        """Like ``where``, as correlated EXISTS: index probes per candidate row.

        For the clauses that do not drive a query: an uncorrelated IN would build the
        whole list of their matches first (every female patient, say).
        """
        for clause in clauses:
            sql.add(f" AND {'NOT ' if clause.negate else ''}EXISTS (")
            self.rids(resource_type, clause, sql, correlate=rid)
            sql.add(")")

    def rids(
        self, resource_type: str, clause: sq.Clause, sql: Sql, correlate: str | None = None
    ) -> None:
        """Append a SELECT of the rids one (positive) clause matches (only ``correlate``'s).

        Index rows exist only for current resources, under a per-type parameter key,
        so these are always live resources of ``resource_type``.
        """
        for i, condition in enumerate(clause.any_of):
            if i:
                sql.add(" UNION ")
            self.condition(resource_type, condition, sql, correlate)

    def condition(
        self, resource_type: str, cond: sq.Condition, sql: Sql, correlate: str | None = None
    ) -> None:
        """Append a SELECT of the rids matching one condition (only ``correlate`` if given)."""
        if isinstance(cond, sq.ChainCond | sq.HasCond):
            self._join(resource_type, cond, sql)
        elif isinstance(cond, sq.AllOfCond):
            sql.add(
                "SELECT a.rid FROM resource a WHERE a.type = ? AND a.deleted = 0", resource_type
            )
            self.where(resource_type, cond.inner, "a.rid", sql)
        else:
            p = self.key(resource_type, cond.param)
            if p is None:  # nothing was ever indexed under this parameter
                if not (isinstance(cond, sq.MissingCond) and cond.missing):
                    sql.add(NOTHING)
                    return
                sql.add("SELECT rid FROM resource WHERE type = ? AND deleted = 0", resource_type)
            elif isinstance(cond, sq.DateCond | sq.DateAllCond):
                _date(p, cond, sql, correlate is not None, self.widest(p))
            else:
                _COMPILERS[type(cond)](p, cond, sql, correlate is not None)
        if correlate is not None:  # every SELECT above ends in its top-level WHERE
            sql.add(f" AND rid = {correlate}")

    def _join(self, resource_type: str, cond: sq.ChainCond | sq.HasCond, sql: Sql) -> None:
        # Both directions are driven by the inner search: its rids, then the (p, target_id)
        # index, never every reference row of the parameter. A unary + keeps SQLite from
        # choosing the (type, ...) or (p, ...) index, which would walk a whole type.
        if isinstance(cond, sq.ChainCond):
            p = self.key(resource_type, cond.param)
            if p is None:
                sql.add(NOTHING)
                return
            targets = self.chain_targets(cond)
            select = "SELECT ref.rid FROM idx_reference ref WHERE ref.p = ? AND ref.target_type = ?"
            sql.add(f"{select} AND ref.target_id IN {targets}", p, cond.target_type)
            return
        referenced = self.has_referenced(resource_type, cond)
        if referenced is None:
            sql.add(NOTHING)
            return
        select = "SELECT t.rid FROM resource t WHERE t.type = ? AND +t.deleted = 0"
        sql.add(f"{select} AND t.id IN {referenced}", resource_type)

    def chain_targets(self, cond: sq.ChainCond) -> str:
        """The named table of the ids of the chain's targets that match its inner clauses."""
        key = ("chain", cond.target_type, cond.inner)
        if cond.target_type == AUDIT_TYPE:  # the events' own tables
            return self.joins.name(key, lambda: events_matching(self, cond.inner))
        return self.joins.name(key, lambda: self._chained(cond))

    def has_referenced(self, resource_type: str, cond: sq.HasCond) -> str | None:
        """The named table of the ids of ``resource_type`` that ``_has`` sources refer to
        (None: nothing was ever indexed under the source's parameter)."""
        key = ("has", resource_type, cond)
        if cond.source_type == AUDIT_TYPE:  # the events' own tables
            return self.joins.name(key, lambda: events_referencing(self, resource_type, cond))
        p = self.key(cond.source_type, cond.param)
        if p is None:
            return None
        return self.joins.name(key, lambda: self._referenced(resource_type, p, cond))

    def _chained(self, cond: sq.ChainCond) -> Sql:
        """The ids of the chain's targets that match its inner clauses."""
        sql = Sql().add("SELECT t.id FROM resource t WHERE +t.type = ?", cond.target_type)
        self.where(cond.target_type, cond.inner, "t.rid", sql)
        return sql

    def _referenced(self, resource_type: str, p: int, cond: sq.HasCond) -> Sql:
        """The ids of ``resource_type`` that sources matching the inner clauses refer to."""
        sql = Sql().add(
            "SELECT ref.target_id FROM idx_reference ref WHERE +ref.p = ? AND ref.target_type = ?",
            p,
            resource_type,
        )
        self.where(cond.source_type, cond.inner, "ref.rid", sql)
        return sql


def _string(p: int, cond: sq.StringCond, sql: Sql, correlated: bool) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_string', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    string_where(cond, sql)


def _token(p: int, cond: sq.TokenCond, sql: Sql, correlated: bool) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_token', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    token_where(cond, sql)


def _date(
    p: int, cond: sq.DateCond | sq.DateAllCond, sql: Sql, correlated: bool, widest: int | None
) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_date', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    date_where(cond, sql, widest)


def _reference(p: int, cond: sq.ReferenceCond, sql: Sql, correlated: bool) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_reference', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    reference_where(cond, sql)


def _uri(p: int, cond: sq.UriCond, sql: Sql, correlated: bool) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_uri', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    uri_where(cond, sql)


def _missing(p: int, cond: sq.MissingCond, sql: Sql, correlated: bool) -> None:
    if cond.missing:
        sql.add(
            "SELECT r2.rid FROM resource r2 WHERE r2.type = "
            "(SELECT type FROM search_param WHERE p = ?) AND r2.deleted = 0 "
            "AND NOT EXISTS (SELECT 1 FROM idx_sort x WHERE x.p = ? AND x.rid = r2.rid)",
            p,
            p,
        )
    else:
        sql.add("SELECT rid FROM idx_sort WHERE p = ?", p)  # a row per present parameter


def _table(name: str, correlated: bool) -> str:
    # A correlated probe must use the (rid) index: the planner would otherwise pick the
    # (p, value) index and walk every row with that value for each candidate.
    return f"{name} INDEXED BY {name}_rid" if correlated else name


_COMPILERS: dict[type, Callable[[int, Any, Sql, bool], None]] = {
    sq.StringCond: _string,
    sq.TokenCond: _token,
    sq.ReferenceCond: _reference,
    sq.UriCond: _uri,
    sq.MissingCond: _missing,
}

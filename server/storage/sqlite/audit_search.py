"""Search AuditEvents on SQLite: conditions over ``audit_event`` and ``audit_link``.

Each clause is a condition on the event row ``e``: a link lookup (``e.aid IN`` the
links matching on the ``(p, code, aid)`` index), the row's date range, time or id.
Pages are keyset-paged on (sort keys..., aid), as other searches are on (..., rid);
without ``_sort`` they come in the order events were stored. Chains from an event's
references and ``_has`` onto events join the shared index tables as other searches do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, Final

from server.search import query as sq
from server.search.text_fold import fold
from server.storage.audit_rows import AUDIT_TYPE, DATE_PARAM, ID_PARAM, UPDATED_PARAM
from server.storage.cursor import decode_search_cursor
from server.storage.ordering import PREFIX_END
from server.storage.port import SearchPage
from server.storage.sqlite.conditions import SqlSearch
from server.storage.sqlite.dates import date_where
from server.storage.sqlite.index import ParamKeys
from server.storage.sqlite.paging import keyset, order, to_page
from server.storage.sqlite.sql import Sql

# The columns of the two time parameters: [low, high) of each value.
_TIMES: Final = {
    DATE_PARAM: ("e.date_low", "e.date_high"),
    UPDATED_PARAM: ("e.updated", "(e.updated + 1)"),
}
_LINKS = "SELECT aid FROM audit_link WHERE p = ?"
_LIVE = "e.body IS NOT NULL"
_COLUMNS = "e.id, e.version, e.updated, e.method, e.body"  # as server.storage.sqlite.audit


def run_audit_search(
    conn: sqlite3.Connection, keys: ParamKeys, query: sq.SearchQuery
) -> SearchPage:
    """One page of AuditEvents (and the total when asked), on one snapshot."""
    conn.execute("BEGIN")
    try:
        return _run(conn, keys, query)
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def _run(conn: sqlite3.Connection, keys: ParamKeys, query: sq.SearchQuery) -> SearchPage:
    compiler = _AuditWhere(SqlSearch(conn, keys))
    where = Sql().add(_LIVE)
    for clause in query.clauses:
        compiler.clause(clause, where)
    position = (
        decode_search_cursor(query.cursor, len(query.sort), ("r", int)) if query.cursor else None
    )
    backwards = position is not None and position["d"] == "p"
    sorts = [_TIMES[key.param][0] for key in query.sort]
    page = Sql().add(
        f"SELECT '{AUDIT_TYPE}', {_COLUMNS}, e.aid{''.join(f', {s}' for s in sorts)} "  # noqa: S608 - fixed fragments
        f"FROM audit_event e WHERE {where}",
        *where.args,
    )
    directions = [key.descending != backwards for key in query.sort] + [backwards]
    if position is not None:
        keyset(page, [*sorts, "e.aid"], directions, [*position["k"], position["r"]])
    page.add(f" ORDER BY {order([*sorts, 'e.aid'], directions)} LIMIT ?", query.count + 1)
    statement = compiler.search.joins.before(page)
    rows = conn.execute(str(statement), statement.args).fetchall()
    more = len(rows) > query.count
    rows = rows[: query.count]
    if backwards:
        rows.reverse()
    total = None
    if query.with_total:
        counted = compiler.search.joins.before(
            Sql().add(f"SELECT count(*) FROM audit_event e WHERE {where}", *where.args)  # noqa: S608 - fragments with ? args
        )
        total = int(conn.execute(str(counted), counted.args).fetchone()[0])
    return to_page(rows, more, position, total)


class _AuditWhere:
    """Compiles clauses to conditions on the event row ``e``."""

    def __init__(self, search: SqlSearch) -> None:
        self.search = search

    def clause(self, clause: sq.Clause, sql: Sql) -> None:
        """Append `` AND (...)`` (``AND NOT`` for ``:not``): any of the clause's conditions."""
        sql.add(" AND NOT (" if clause.negate else " AND (")
        for i, condition in enumerate(clause.any_of):
            sql.add(" OR " if i else "")
            self.condition(condition, sql)
        sql.add(")")

    def condition(self, cond: sq.Condition, sql: Sql) -> None:
        if isinstance(cond, sq.AllOfCond):
            sql.add("(1")
            for inner in cond.inner:
                self.clause(inner, sql)
            sql.add(")")
        elif isinstance(cond, sq.ChainCond):
            self._chain(cond, sql)
        elif isinstance(cond, sq.HasCond):
            self._has(cond, sql)
        elif isinstance(cond, sq.DateCond | sq.DateAllCond):
            columns = _TIMES.get(cond.param)
            if columns is None:
                sql.add("0")
                return
            sql.add("(1")
            date_where(cond, sql, None, columns)
            sql.add(")")
        elif isinstance(cond, sq.MissingCond):
            _missing(cond, sql)
        elif isinstance(cond, sq.TokenCond) and cond.param == ID_PARAM:
            sql.add("e.id = ?", cond.code)
        else:
            sql.add(f"e.aid IN ({_LINKS}", cond.param)
            _LINK_MATCH[type(cond)](cond, sql)
            sql.add(")")

    def _chain(self, cond: sq.ChainCond, sql: Sql) -> None:
        search = self.search

        def targets() -> Sql:
            inner = Sql().add("SELECT t.id FROM resource t WHERE +t.type = ?", cond.target_type)
            search.where(cond.target_type, cond.inner, "t.rid", inner)
            return inner

        name = search.joins.name(("chain", cond.target_type, cond.inner), targets)
        sql.add(
            f"e.aid IN ({_LINKS} AND system = ? AND code IN {name})", cond.param, cond.target_type
        )

    def _has(self, cond: sq.HasCond, sql: Sql) -> None:
        search = self.search
        p = search.key(cond.source_type, cond.param)
        if p is None:
            sql.add("0")
            return

        def referenced() -> Sql:
            inner = Sql().add(
                "SELECT ref.target_id FROM idx_reference ref WHERE +ref.p = ? "
                "AND ref.target_type = ?",
                p,
                AUDIT_TYPE,
            )
            search.where(cond.source_type, cond.inner, "ref.rid", inner)
            return inner

        sql.add(f"e.id IN {search.joins.name(('has', AUDIT_TYPE, cond), referenced)}")


def _missing(cond: sq.MissingCond, sql: Sql) -> None:
    if cond.param in _TIMES:  # every stored event has both times
        sql.add("0" if cond.missing else "1")
        return
    exists = "EXISTS (SELECT 1 FROM audit_link l WHERE l.aid = e.aid AND l.p = ?)"
    sql.add(f"NOT {exists}" if cond.missing else exists, cond.param)


def _token(cond: sq.TokenCond, sql: Sql) -> None:
    if cond.code is not None:
        sql.add(" AND code = ?", cond.code)
    if cond.system == "":
        sql.add(" AND system IS NULL")
    elif cond.system is not None:
        sql.add(" AND system = ?", cond.system)
    if cond.text is not None:
        sql.add(" AND text >= ? AND text < ?", cond.text, cond.text + PREFIX_END)


def _reference(cond: sq.ReferenceCond, sql: Sql) -> None:
    if cond.url is not None:
        sql.add(" AND code IS NULL AND text = ?", cond.url)
        return
    sql.add(" AND code = ?", cond.target_id)
    if cond.target_type is not None:
        sql.add(" AND system = ?", cond.target_type)


def _string(cond: sq.StringCond, sql: Sql) -> None:
    if cond.match is sq.StringMatch.PREFIX:
        sql.add(" AND code >= ? AND code < ?", cond.value, cond.value + PREFIX_END)
    elif cond.match is sq.StringMatch.CONTAINS:
        sql.add(" AND instr(code, ?) > 0", cond.value)
    else:
        sql.add(" AND code = ? AND text = ?", fold(cond.value), cond.value)


def _uri(cond: sq.UriCond, sql: Sql) -> None:
    if cond.match is sq.UriMatch.BELOW:
        sql.add(" AND code >= ? AND code < ?", cond.value, cond.value + PREFIX_END)
    elif cond.match is sq.UriMatch.ABOVE:
        sql.add(f" AND code IN ({', '.join('?' * len(cond.candidates))})", *cond.candidates)
    else:
        sql.add(" AND code = ?", cond.value)


_LINK_MATCH: dict[type, Callable[[Any, Sql], None]] = {
    sq.TokenCond: _token,
    sq.ReferenceCond: _reference,
    sq.StringCond: _string,
    sq.UriCond: _uri,
}

"""Search AuditEvents on SQLite: conditions over ``audit_event`` and ``audit_link``.

Each clause is a condition on the event row ``e`` (``server.storage.sqlite.audit_where``).
Pages are keyset-paged on (sort keys..., aid), as other searches are on (..., rid);
without ``_sort`` they come in the order events were stored.
"""

from __future__ import annotations

import sqlite3

from server.search import query as sq
from server.storage.audit_rows import AUDIT_TYPE
from server.storage.cursor import decode_search_cursor
from server.storage.port import SearchPage
from server.storage.sqlite.audit_where import LIVE, TIMES, AuditWhere
from server.storage.sqlite.conditions import SqlSearch
from server.storage.sqlite.index import ParamKeys
from server.storage.sqlite.paging import keyset, order, to_page
from server.storage.sqlite.sql import Sql
from server.storage.sqlite.type_counts import live_count

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
    compiler = AuditWhere(SqlSearch(conn, keys))
    where = Sql().add(LIVE)
    for clause in query.clauses:
        compiler.clause(clause, where)
    position = (
        decode_search_cursor(query.cursor, len(query.sort), ("r", int)) if query.cursor else None
    )
    backwards = position is not None and position["d"] == "p"
    sorts = [TIMES[key.param][0] for key in query.sort]
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
    if query.with_total and not query.clauses:
        total = live_count(conn, AUDIT_TYPE)  # kept with the writes: no walk
    elif query.with_total:
        counted = compiler.search.joins.before(
            Sql().add(f"SELECT count(*) FROM audit_event e WHERE {where}", *where.args)  # noqa: S608 - fragments with ? args
        )
        total = int(conn.execute(str(counted), counted.args).fetchone()[0])
    return to_page(rows, more, position, total)

"""Run a SearchQuery on SQLite: plan it (``planner``), read one keyset page (``paging``).

Conditions compile to SELECTs over the ``idx_*`` tables (``conditions``), so a search
never walks a whole resource type unless the planner decides a walk is cheaper.
"""

from __future__ import annotations

import sqlite3

from server.search.query import SearchQuery
from server.storage.port import SearchPage
from server.storage.sqlite.index import ParamKeys
from server.storage.sqlite.paging import to_page
from server.storage.sqlite.planner import broad, compile_search
from server.storage.sqlite.type_counts import live_count


def run_search(conn: sqlite3.Connection, keys: ParamKeys, query: SearchQuery) -> SearchPage:
    """Execute a search on one read connection, every statement on one snapshot.

    Planning reads the data too (the arms' distinct values, the date widths), so a
    write committed between planning and paging must not be seen by one and not the
    other.
    """
    conn.execute("BEGIN")
    try:
        return _run_search(conn, keys, query)
    finally:
        if conn.in_transaction:  # an error may have ended it already
            conn.execute("COMMIT")


def _run_search(conn: sqlite3.Connection, keys: ParamKeys, query: SearchQuery) -> SearchPage:
    compiled = compile_search(conn, keys, query)
    if not compiled.merged and broad(conn, keys, query):
        compiled = compile_search(conn, keys, query, walk=True)
    rows = conn.execute(str(compiled.page), compiled.page.args).fetchall()
    more = len(rows) > query.count
    rows = rows[: query.count]
    if compiled.backwards:
        rows.reverse()
    total = None
    if query.with_total and not query.clauses:
        total = live_count(conn, query.resource_type)  # kept with the writes: no walk
    elif query.with_total:
        total = int(conn.execute(str(compiled.total), compiled.total.args).fetchone()[0])
    return to_page(rows, more, compiled.position, total)

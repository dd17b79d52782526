"""AuditEvent search conditions on SQLite: each clause a condition on the event row ``e``.

A link lookup (``e.aid IN`` the ``audit_link`` rows matching, sought in each bucket of
its index, or ``e.sid IN`` the ``audit_sig_link`` rows of the signatures, for the parameters
events share: server.storage.sqlite.audit_signatures), the row's date range, time or
id. Chains from an event's references and ``_has`` onto events join the shared index
tables through ``SqlSearch``; ``_has`` from another type through events
(``Patient?_has:AuditEvent:patient:...``) comes here from there (``events_referencing``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from server.search import query as sq
from server.storage.audit_rows import AUDIT_TYPE, DATE_PARAM, ID_PARAM, UPDATED_PARAM
from server.storage.sqlite.audit import LINK_BUCKET, LINK_BUCKET_BITS
from server.storage.sqlite.audit_signatures import table_of
from server.storage.sqlite.dates import date_where
from server.storage.sqlite.matches import reference_where, string_where, token_where, uri_where
from server.storage.sqlite.sql import Sql

if TYPE_CHECKING:
    from server.storage.sqlite.conditions import SqlSearch

# The columns of the two time parameters: [low, high) of each value.
TIMES: Final = {
    DATE_PARAM: ("e.date_low", "e.date_high"),
    UPDATED_PARAM: ("e.updated", "(e.updated + 1)"),
}
LIVE: Final = "e.body IS NOT NULL"

# The event's own links with a value: the value sought in every bucket of the link index
# that holds events, oldest to newest, each an index seek.
OWN_LINKS: Final = (
    "e.aid IN (WITH RECURSIVE bucket(n) AS ("  # noqa: S608 - fixed names
    f"SELECT (SELECT min(aid) FROM audit_event) >> {LINK_BUCKET_BITS} UNION ALL "
    "SELECT n + 1 FROM bucket "
    f"WHERE n < ((SELECT max(aid) FROM audit_event) >> {LINK_BUCKET_BITS})) "
    f"SELECT aid FROM bucket CROSS JOIN audit_link ON {LINK_BUCKET} = n WHERE p = ?"
)


def _links(param: str) -> str:
    """``e.<key> IN (SELECT <key> FROM <links> WHERE p = ?``: the event's own or shared links."""
    table, key = table_of(param)
    if table == "audit_link":
        return OWN_LINKS
    return f"e.{key} IN (SELECT {key} FROM {table} WHERE p = ?"  # noqa: S608 - fixed names


def events_referencing(search: SqlSearch, resource_type: str, cond: sq.HasCond) -> Sql:
    """The ids of ``resource_type`` that events matching ``cond``'s inner clauses refer to
    through ``cond.param`` (``_has:AuditEvent:param:...``)."""
    table, key = table_of(cond.param)
    sql = Sql().add(
        f"SELECT l.code FROM {table} l WHERE l.p = ? AND l.system = ? AND l.{key} IN "  # noqa: S608 - fixed names
        f"(SELECT e.{key} FROM audit_event e WHERE e.body IS NOT NULL",
        cond.param,
        resource_type,
    )
    where = AuditWhere(search)
    for clause in cond.inner:
        where.clause(clause, sql)
    return sql.add(")")


def events_matching(search: SqlSearch, clauses: tuple[sq.Clause, ...]) -> Sql:
    """The ids of the events that match every clause (a chain's AuditEvent targets)."""
    sql = Sql().add("SELECT e.id FROM audit_event e WHERE e.body IS NOT NULL")
    where = AuditWhere(search)
    for clause in clauses:
        where.clause(clause, sql)
    return sql


class AuditWhere:
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
            columns = TIMES.get(cond.param)
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
            sql.add(_links(cond.param), cond.param)
            _LINK_MATCH[type(cond)](cond, sql)
            sql.add(")")

    def _chain(self, cond: sq.ChainCond, sql: Sql) -> None:
        name = self.search.chain_targets(cond)
        sql.add(
            f"{_links(cond.param)} AND system = ? AND code IN {name})",
            cond.param,
            cond.target_type,
        )

    def _has(self, cond: sq.HasCond, sql: Sql) -> None:
        name = self.search.has_referenced(AUDIT_TYPE, cond)
        sql.add("0" if name is None else f"e.id IN {name}")


def _missing(cond: sq.MissingCond, sql: Sql) -> None:
    if cond.param in TIMES:  # every stored event has both times
        sql.add("0" if cond.missing else "1")
        return
    table, key = table_of(cond.param)
    exists = f"EXISTS (SELECT 1 FROM {table} l WHERE l.{key} = e.{key} AND l.p = ?)"  # noqa: S608 - fixed names
    sql.add(f"NOT {exists}" if cond.missing else exists, cond.param)


# A link's columns as the shared index tables name them (audit_rows.Link).
_LINK_MATCH: dict[type, Callable[[Any, Sql], None]] = {
    sq.TokenCond: token_where,
    sq.ReferenceCond: lambda cond, sql: reference_where(cond, sql, ("system", "code", "text")),
    sq.StringCond: lambda cond, sql: string_where(cond, sql, "code", "text"),
    sq.UriCond: lambda cond, sql: uri_where(cond, sql, "code"),
}

"""Compile a SearchQuery to SQL over the ``idx_*`` tables, and run it.

Each condition is a SELECT of rids from one ``idx_<kind>`` table: an equality or a
range on a B-tree index led by the parameter key (which also names the type), so a
search never walks a whole resource type. The most selective positive clause drives
the query; the other selective clauses are IN lists built once, the broad ones are
checked per candidate with correlated probes on the ``(rid)`` indexes. A reference
and a date clause together drive through their pair index (``idx_ref_date``); an
unsorted page merges rid-ordered arms of its driver (``sqlite.arms``) and stops when
full. Chains and ``_has`` join through ``idx_reference`` and ``resource (type, id)``,
each inner match a named table of the statement's WITH (``CommonTables``).
Pages are keyset-paged on (sort keys..., rid): a cursor holds the last row's sort
position, never an offset.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.search.query import (
    ChainCond,
    Clause,
    Condition,
    DateAllCond,
    DateCond,
    DateOp,
    HasCond,
    MissingCond,
    ReferenceCond,
    SearchQuery,
    StringCond,
    StringMatch,
    TokenCond,
    UriCond,
    UriMatch,
)
from server.search.text_fold import fold
from server.storage.cursor import decode_search_cursor, encode_cursor, neighbours
from server.storage.port import Method, SearchPage, StoredVersion
from server.storage.sqlite.arms import clause_arms
from server.storage.sqlite.dates import date_where
from server.storage.sqlite.index import ParamKeys
from server.storage.sqlite.sql import CommonTables, Sql

_TOP = "\U0010ffff"  # sorts after every other character: the end of a prefix range
_NOTHING = "SELECT NULL AS rid WHERE 0"


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

    def where(self, resource_type: str, clauses: tuple[Clause, ...], rid: str, sql: Sql) -> None:
        """Append `` AND <clause>`` for each clause, about the rows whose rid is ``rid``."""
        for clause in clauses:
            sql.add(f" AND {rid} {'NOT IN' if clause.negate else 'IN'} (")
            self.rids(resource_type, clause, sql)
            sql.add(")")

    def check(self, resource_type: str, clauses: tuple[Clause, ...], rid: str, sql: Sql) -> None:
        """Like ``where``, as correlated EXISTS: index probes per candidate row.

        For the clauses that do not drive a query: an uncorrelated IN would build the
        whole list of their matches first (every female patient, say).
        """
        for clause in clauses:
            sql.add(f" AND {'NOT ' if clause.negate else ''}EXISTS (")
            self.rids(resource_type, clause, sql, correlate=rid)
            sql.add(")")

    def rids(
        self, resource_type: str, clause: Clause, sql: Sql, correlate: str | None = None
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
        self, resource_type: str, cond: Condition, sql: Sql, correlate: str | None = None
    ) -> None:
        """Append a SELECT of the rids matching one condition (only ``correlate`` if given)."""
        if isinstance(cond, ChainCond | HasCond):
            self._join(resource_type, cond, sql)
        else:
            p = self.key(resource_type, cond.param)
            if p is None:  # nothing was ever indexed under this parameter
                if not (isinstance(cond, MissingCond) and cond.missing):
                    sql.add(_NOTHING)
                    return
                sql.add("SELECT rid FROM resource WHERE type = ? AND deleted = 0", resource_type)
            elif isinstance(cond, DateCond | DateAllCond):
                _date(p, cond, sql, correlate is not None, self.widest(p))
            else:
                _COMPILERS[type(cond)](p, cond, sql, correlate is not None)
        if correlate is not None:  # every SELECT above ends in its top-level WHERE
            sql.add(f" AND rid = {correlate}")

    def _join(self, resource_type: str, cond: ChainCond | HasCond, sql: Sql) -> None:
        # Both directions are driven by the inner search: its rids, then the (p, target_id)
        # index, never every reference row of the parameter. A unary + keeps SQLite from
        # choosing the (type, ...) or (p, ...) index, which would walk a whole type.
        if isinstance(cond, ChainCond):
            p = self.key(resource_type, cond.param)
            if p is None:
                sql.add(_NOTHING)
                return
            targets = self.joins.name(
                ("chain", cond.target_type, cond.inner), lambda: self._chained(cond)
            )
            select = "SELECT ref.rid FROM idx_reference ref WHERE ref.p = ? AND ref.target_type = ?"
            sql.add(f"{select} AND ref.target_id IN {targets}", p, cond.target_type)
            return
        p = self.key(cond.source_type, cond.param)
        if p is None:
            sql.add(_NOTHING)
            return
        referenced = self.joins.name(
            ("has", resource_type, cond), lambda: self._referenced(resource_type, p, cond)
        )
        select = "SELECT t.rid FROM resource t WHERE t.type = ? AND +t.deleted = 0"
        sql.add(f"{select} AND t.id IN {referenced}", resource_type)

    def _chained(self, cond: ChainCond) -> Sql:
        """The ids of the chain's targets that match its inner clauses."""
        sql = Sql().add("SELECT t.id FROM resource t WHERE +t.type = ?", cond.target_type)
        self.where(cond.target_type, cond.inner, "t.rid", sql)
        return sql

    def _referenced(self, resource_type: str, p: int, cond: HasCond) -> Sql:
        """The ids of ``resource_type`` that sources matching the inner clauses refer to."""
        sql = Sql().add(
            "SELECT ref.target_id FROM idx_reference ref WHERE +ref.p = ? AND ref.target_type = ?",
            p,
            resource_type,
        )
        self.where(cond.source_type, cond.inner, "ref.rid", sql)
        return sql


def _string(p: int, cond: StringCond, sql: Sql, correlated: bool) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_string', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    if cond.match is StringMatch.PREFIX:
        sql.add(" AND folded >= ? AND folded < ?", cond.value, cond.value + _TOP)
    elif cond.match is StringMatch.CONTAINS:
        sql.add(" AND instr(folded, ?) > 0", cond.value)
    else:
        sql.add(" AND folded = ? AND exact = ?", fold(cond.value), cond.value)


def _token(p: int, cond: TokenCond, sql: Sql, correlated: bool) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_token', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    if cond.code is not None:
        sql.add(" AND code = ?", cond.code)
    if cond.system == "":
        sql.add(" AND system IS NULL")
    elif cond.system is not None:
        sql.add(" AND system = ?", cond.system)
    if cond.text is not None:
        sql.add(" AND text >= ? AND text < ?", cond.text, cond.text + _TOP)


def _date(
    p: int, cond: DateCond | DateAllCond, sql: Sql, correlated: bool, widest: int | None
) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_date', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    date_where(cond, sql, widest)


def _reference(p: int, cond: ReferenceCond, sql: Sql, correlated: bool) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_reference', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    if cond.url is not None:
        sql.add(" AND url = ?", cond.url)
        return
    sql.add(" AND target_id = ?", cond.target_id)
    if cond.target_type is not None:
        sql.add(" AND target_type = ?", cond.target_type)


def _uri(p: int, cond: UriCond, sql: Sql, correlated: bool) -> None:
    sql.add(f"SELECT rid FROM {_table('idx_uri', correlated)} WHERE p = ?", p)  # noqa: S608 - fixed names
    if cond.match is UriMatch.BELOW:
        sql.add(" AND value >= ? AND value < ?", cond.value, cond.value + _TOP)
    elif cond.match is UriMatch.ABOVE:
        marks = ", ".join("?" * len(cond.candidates))
        sql.add(f" AND value IN ({marks})", *cond.candidates)
    else:
        sql.add(" AND value = ?", cond.value)


def _missing(p: int, cond: MissingCond, sql: Sql, correlated: bool) -> None:
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
    StringCond: _string,
    TokenCond: _token,
    ReferenceCond: _reference,
    UriCond: _uri,
    MissingCond: _missing,
}

_COLUMNS = "v.type, v.id, v.version, v.updated, v.method, v.body, r.rid"


@dataclass(frozen=True, slots=True)
class CompiledSearch:
    """The SQL of one page (and of its total), and where the page starts.

    ``merged``: the page merges rid-ordered arms of its driving clause and stops when
    full, so walking the type instead would not make it cheaper.
    """

    page: Sql
    total: Sql
    position: dict[str, Any] | None
    backwards: bool
    merged: bool = False


def compile_search(
    conn: sqlite3.Connection,
    keys: ParamKeys,
    query: SearchQuery,
    *,
    walk: bool = False,
    split: bool = True,
) -> CompiledSearch:
    """Build the SQL of a search page (EXPLAIN QUERY PLAN-able, see tests/search).

    The page is chosen on bare rids: driven by the index rows of the positive clause
    likely to match fewest (or the type's live rows when there is none), checked
    against the other clauses by index probes, sorted and limited; only the page's
    rows then join ``resource`` and ``version`` for their bytes. A reference clause
    and a date clause together drive through their pair index. Without ``_sort``
    and with ``split``, a driving clause that splits into rid-ordered arms
    (``server.storage.sqlite.arms``) is merged and read only as far as the page.
    With ``walk`` the type's live rows are walked in rid order instead, every clause
    probed per row: for a broad clause that does not split, a page then costs about
    count/selectivity probes, whatever the number of matches.
    """
    search = SqlSearch(conn, keys)
    position = (
        decode_search_cursor(query.cursor, len(query.sort), ("r", int)) if query.cursor else None
    )
    backwards = position is not None and position["d"] == "p"
    source, drive, rest = _walked(query) if walk else _driven(search, query)
    filters = Sql()
    # A selective clause is cheaper as one IN list built once; a broad one (every
    # female patient) as per-candidate probes that never list its matches.
    search.where(query.resource_type, tuple(c for c in rest if _listable(c)), "m.rid", filters)
    search.check(query.resource_type, tuple(c for c in rest if not _listable(c)), "m.rid", filters)
    total = Sql().add(f"SELECT count(*) FROM ({source}) m WHERE 1{filters}", *source.args)  # noqa: S608 - fragments with ? args
    total.args.extend(filters.args)
    arms = None
    if split and drive is not None and not query.sort:
        arms = clause_arms(
            conn, lambda code: search.key(query.resource_type, code), search.widest, drive
        )
    if arms is None:
        inner = _sorted_page(search, query, source, filters, position, backwards)
    else:
        inner = _merged_page(arms, filters, position, backwards, query.count + 1)
    page_keys = [f"page.k{i}" for i in range(len(query.sort))]
    directions = [k.descending != backwards for k in query.sort] + [backwards]
    page = Sql().add(f"SELECT {_COLUMNS}")
    for column in page_keys:
        page.add(f", {column}")
    page.add(f" FROM ({inner}) page", *inner.args)
    page.add(" JOIN resource r ON r.rid = page.rid JOIN version v ON v.seq = r.seq")
    page.add(f" ORDER BY {_order([*page_keys, 'page.rid'], directions)}")
    page, total = search.joins.before(page), search.joins.before(total)
    return CompiledSearch(page, total, position, backwards, arms is not None)


def _walked(query: SearchQuery) -> tuple[Sql, None, tuple[Clause, ...]]:
    """The type's live rows as candidates, every clause still to check."""
    source = Sql().add(
        "SELECT rid FROM resource WHERE type = ? AND deleted = 0", query.resource_type
    )
    return source, None, query.clauses


def _driven(search: SqlSearch, query: SearchQuery) -> tuple[Sql, Clause | None, tuple[Clause, ...]]:
    """The candidates of the most selective clause (or clause pair), and what is left."""
    positive = [c for c in query.clauses if not c.negate]
    drive = min(positive, key=_selectivity, default=None)
    if drive is None:
        return _walked(query)
    if _selectivity(drive) > 0:
        pair = _pair_source(search, query.resource_type, positive)
        if pair is not None:
            source, used = pair
            return source, None, tuple(c for c in query.clauses if c not in used)
    source = Sql().add("SELECT DISTINCT rid FROM (")
    search.rids(query.resource_type, drive, source)
    source.add(")")
    return source, drive, tuple(c for c in query.clauses if c is not drive)


def _pair_source(
    search: SqlSearch, resource_type: str, positive: list[Clause]
) -> tuple[Sql, tuple[Clause, Clause]] | None:
    """A reference clause and a date clause as one range on ``idx_ref_date``, if present.

    Only single-valued clauses on the type's own parameters and local references:
    what the pair table holds (see its DDL).
    """
    reference: tuple[Clause, ReferenceCond] | None = None
    date: tuple[Clause, DateCond | DateAllCond] | None = None
    for clause in positive:
        cond = clause.any_of[0]
        if len(clause.any_of) != 1 or cond.param.startswith("_"):
            continue
        if reference is None and isinstance(cond, ReferenceCond) and cond.target_id is not None:
            reference = (clause, cond)
        elif date is None and isinstance(cond, DateCond | DateAllCond):
            date = (clause, cond)
    if reference is None or date is None:
        return None
    (ref_clause, ref), (date_clause, when) = reference, date
    pr, pd = search.key(resource_type, ref.param), search.key(resource_type, when.param)
    if pr is None or pd is None:
        return None
    source = Sql().add(
        "SELECT DISTINCT rid FROM idx_ref_date WHERE pr = ? AND pd = ? AND target_id = ?",
        pr,
        pd,
        ref.target_id,
    )
    if ref.target_type is not None:
        source.add(" AND target_type = ?", ref.target_type)
    date_where(when, source, search.widest(pd))
    return source, (ref_clause, date_clause)


def _sorted_page(
    search: SqlSearch,
    query: SearchQuery,
    source: Sql,
    filters: Sql,
    position: dict[str, Any] | None,
    backwards: bool,
) -> Sql:
    """Every candidate joined to its sort keys, sorted, cut after the page."""
    matched = Sql().add(f"FROM ({source}) m", *source.args)
    sort_columns: list[str] = []
    for i, key in enumerate(query.sort):
        p = search.key(query.resource_type, key.param)
        matched.add(f" LEFT JOIN idx_sort s{i} ON s{i}.p = ? AND s{i}.rid = m.rid", p)
        sort_columns.append(f"s{i}.value")
    matched.add(f" WHERE 1{filters}", *filters.args)
    inner = Sql().add("SELECT m.rid AS rid")
    for i, column in enumerate(sort_columns):
        inner.add(f", {column} AS k{i}")
    inner.add(f" {matched}", *matched.args)
    directions = [k.descending != backwards for k in query.sort] + [backwards]
    if position is not None:
        _keyset(inner, [*sort_columns, "m.rid"], directions, [*position["k"], position["r"]])
    inner.add(f" ORDER BY {_order([*sort_columns, 'm.rid'], directions)} LIMIT ?", query.count + 1)
    return inner


def _merged_page(
    arms: list[Sql],
    filters: Sql,
    position: dict[str, Any] | None,
    backwards: bool,
    limit: int,
) -> Sql:
    """The arms, each filtered and past the cursor, merged in rid order up to ``limit``.

    UNION drops a rid that several arms (or one arm, twice) yield; a lone arm needs
    DISTINCT for that, which SQLite also does in index order.
    """
    if not arms:
        return Sql().add(_NOTHING)
    select = "SELECT m.rid AS rid" if len(arms) > 1 else "SELECT DISTINCT m.rid AS rid"
    inner = Sql()
    for i, arm in enumerate(arms):
        inner.add(" UNION " if i else "")
        inner.add(f"{select} FROM ({arm}) m WHERE 1{filters}", *arm.args)
        inner.args.extend(filters.args)
        if position is not None:
            _keyset(inner, ["m.rid"], [backwards], [position["r"]])
    inner.add(f" ORDER BY 1 {'DESC' if backwards else 'ASC'} LIMIT ?", limit)
    return inner


_LISTABLE_RANK = 3  # identifiers, references, exact strings, system|code, date ranges


def _listable(clause: Clause) -> bool:
    return _selectivity(clause) <= _LISTABLE_RANK


def _selectivity(clause: Clause) -> int:
    """A rough rank of how few rows a clause matches (lower: fewer), to pick the driver."""
    return max(_condition_rank(c) for c in clause.any_of)


def _condition_rank(cond: Condition) -> int:
    if isinstance(cond, TokenCond):
        if cond.param in ("_id", "identifier") or ":" in cond.param:
            return 0
        return 3 if cond.system and cond.code else 5
    if isinstance(cond, StringCond):
        return {StringMatch.EXACT: 2, StringMatch.PREFIX: 4, StringMatch.CONTAINS: 7}[cond.match]
    if isinstance(cond, DateCond):
        return 3 if cond.op is DateOp.EQ else 6
    ranks: dict[type, int] = {
        ReferenceCond: 1,
        ChainCond: 2,
        HasCond: 2,
        UriCond: 3,
        DateAllCond: 3,
        MissingCond: 8,
    }
    return ranks.get(type(cond), 8)


def _order(columns: list[str], descending: list[bool]) -> str:
    return ", ".join(
        f"{c} {'DESC' if d else 'ASC'}" for c, d in zip(columns, descending, strict=True)
    )


_BROAD = 2000  # a driving clause with this many matches is walked, not listed


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
    if not compiled.merged and _broad(conn, keys, query):
        compiled = compile_search(conn, keys, query, walk=True)
    rows = conn.execute(str(compiled.page), compiled.page.args).fetchall()
    more = len(rows) > query.count
    rows = rows[: query.count]
    if compiled.backwards:
        rows.reverse()
    total = None
    if query.with_total:
        total = int(conn.execute(str(compiled.total), compiled.total.args).fetchone()[0])
    return _page(rows, more, compiled.position, total)


def _broad(conn: sqlite3.Connection, keys: ParamKeys, query: SearchQuery) -> bool:
    """Whether even the most selective clause matches so many rows that walking wins.

    Only for one broad positive clause and no ``_sort`` (a walk yields rid order):
    with more clauses, their intersection may be rare and the walk would not stop
    early. Decided by counting the clause's matches up to ``_BROAD``, which is cheap.
    """
    if query.sort or len(query.clauses) != 1 or query.clauses[0].negate:
        return False
    drive = query.clauses[0]
    if _selectivity(drive) <= _LISTABLE_RANK:
        return False
    search = SqlSearch(conn, keys)
    sql = Sql().add("SELECT count(*) FROM (")
    search.rids(query.resource_type, drive, sql)
    sql = search.joins.before(sql.add(" LIMIT ?)", _BROAD))
    return int(conn.execute(str(sql), sql.args).fetchone()[0]) >= _BROAD


def _page(
    rows: list[Any],
    more: bool,
    position: dict[str, Any] | None,
    total: int | None,
) -> SearchPage:
    def cursor(row: Any, direction: str) -> str:
        return encode_cursor({"k": list(row[7:]), "r": row[6], "d": direction})

    has_next, has_previous = neighbours(more, position)
    versions = [
        StoredVersion(row[0], row[1], row[2], row[3], Method(row[4]), row[5]) for row in rows
    ]
    return SearchPage(
        versions,
        cursor(rows[-1], "n") if rows and has_next else None,
        cursor(rows[0], "p") if rows and has_previous else None,
        total,
    )


def _keyset(sql: Sql, columns: list[str], descending: list[bool], values: list[Any]) -> None:
    """Append the rows strictly after ``values`` in the order of ``columns`` (NULL first)."""
    alternatives: list[str] = []
    args: list[Any] = []
    for i, (column, desc, value) in enumerate(zip(columns, descending, values, strict=True)):
        parts: list[str] = []
        for prior, prior_value in zip(columns[:i], values[:i], strict=True):
            if prior_value is None:
                parts.append(f"{prior} IS NULL")
            else:
                parts.append(f"{prior} = ?")
                args.append(prior_value)
        if value is None:
            parts.append("0" if desc else f"{column} IS NOT NULL")
        elif desc:
            parts.append(f"({column} < ? OR {column} IS NULL)")
            args.append(value)
        else:
            parts.append(f"{column} > ?")
            args.append(value)
        alternatives.append("(" + " AND ".join(parts) + ")")
    sql.add(" AND (" + " OR ".join(alternatives) + ")", *args)

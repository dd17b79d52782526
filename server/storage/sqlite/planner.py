"""Plan a SQLite search: which clause drives it, which are listed or probed, and the SQL.

The most selective positive clause drives the query (ranked by kind, then, among the
direct index lookups, by their matches counted up to a small bound); the other
selective clauses are IN lists built once, the broad ones (and all of them behind a
driver of few matches) are checked per candidate with correlated probes on the
``(rid)`` indexes. A reference and a date clause together drive through their
pair index (``idx_ref_date``); an unsorted page merges rid-ordered arms of its driver
(``sqlite.arms``) and stops when full. A page sorted by the one-valued date it is
restricted by reads that date's sort rows in order and stops when full too. A lone
broad clause walks the type instead.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from server.search import query as sq
from server.storage.cursor import decode_search_cursor
from server.storage.sqlite.arms import clause_arms
from server.storage.sqlite.conditions import SqlSearch
from server.storage.sqlite.dates import date_where
from server.storage.sqlite.index import ParamKeys
from server.storage.sqlite.paging import dated_page, merged_page, order, sorted_page
from server.storage.sqlite.sql import Sql

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
    query: sq.SearchQuery,
    *,
    walk: bool = False,
    split: bool = True,
    ordered: bool = True,
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
    count/selectivity probes, whatever the number of matches. With ``ordered``, a
    page sorted first by the one-valued date parameter that drives it reads that
    parameter's sort rows in order from the range's start, each checked, and stops
    after the page (``paging.dated_page``) instead of sorting every match.
    """
    search = SqlSearch(conn, keys)
    position = (
        decode_search_cursor(query.cursor, len(query.sort), ("r", int)) if query.cursor else None
    )
    backwards = position is not None and position["d"] == "p"
    source, drive, rest, few = _walked(query) if walk else _driven(search, query)
    filters = Sql()
    # A selective clause is cheaper as one IN list built once; a broad one (every
    # female patient) as per-candidate probes that never list its matches, and so is
    # any clause when the driver is known to yield only a few candidates.
    listed = tuple(c for c in rest if _listable(c) and not few)
    search.where(query.resource_type, listed, "m.rid", filters)
    search.check(query.resource_type, tuple(c for c in rest if c not in listed), "m.rid", filters)
    total = Sql().add(f"SELECT count(*) FROM ({source}) m WHERE 1{filters}", *source.args)  # noqa: S608 - fragments with ? args
    total.args.extend(filters.args)
    arms = None
    if split and drive is not None and not query.sort:
        arms = clause_arms(
            conn, lambda code: search.key(query.resource_type, code), search.widest, drive
        )
    in_order = _date_order(search, query, drive) if ordered and drive is not None else None
    if arms is not None:
        inner = merged_page(arms, filters, position, backwards, query.count + 1)
    elif in_order is not None and drive is not None:
        p, bounds = in_order
        checks = Sql()
        search.check(query.resource_type, (drive,), "m.rid", checks)
        checks.add(str(filters), *filters.args)
        inner = dated_page(search, query, p, bounds, checks, position, backwards)
    else:
        inner = sorted_page(search, query, source, filters, position, backwards)
    page_keys = [f"page.k{i}" for i in range(len(query.sort))]
    directions = [k.descending != backwards for k in query.sort] + [backwards]
    page = Sql().add(f"SELECT {_COLUMNS}")
    for column in page_keys:
        page.add(f", {column}")
    page.add(f" FROM ({inner}) page", *inner.args)
    page.add(" JOIN resource r ON r.rid = page.rid JOIN version v ON v.seq = r.seq")
    page.add(f" ORDER BY {order([*page_keys, 'page.rid'], directions)}")
    page, total = search.joins.before(page), search.joins.before(total)
    return CompiledSearch(page, total, position, backwards, arms is not None)


def _walked(query: sq.SearchQuery) -> tuple[Sql, None, tuple[sq.Clause, ...], bool]:
    """The type's live rows as candidates, every clause still to check."""
    source = Sql().add(
        "SELECT rid FROM resource WHERE type = ? AND deleted = 0", query.resource_type
    )
    return source, None, query.clauses, False


def _driven(
    search: SqlSearch, query: sq.SearchQuery
) -> tuple[Sql, sq.Clause | None, tuple[sq.Clause, ...], bool]:
    """The candidates of the most selective clause (or clause pair), what is left, and
    whether the candidates were counted and found few."""
    positive = [c for c in query.clauses if not c.negate]
    drive = min(positive, key=lambda c: _drive_rank(query, c), default=None)
    if drive is None:
        return _walked(query)
    if _selectivity(drive) > 0:
        pair = _pair_source(search, query.resource_type, positive)
        if pair is not None:
            source, used = pair
            return source, None, tuple(c for c in query.clauses if c not in used), False
    few = False
    if _sort_range(query, drive) is None:  # a range read in order stops at the page anyway
        drive, few = _fewest(search, query.resource_type, positive, drive)
    source = Sql().add("SELECT DISTINCT rid FROM (")
    search.rids(query.resource_type, drive, source)
    source.add(")")
    return source, drive, tuple(c for c in query.clauses if c is not drive), few


# Matches counted per clause at most when choosing the driver: enough to tell a clause
# that narrows the search from one that does not, few enough to cost a handful of seeks.
_COUNTED = 128


def _fewest(
    search: SqlSearch, resource_type: str, positive: list[sq.Clause], ranked: sq.Clause
) -> tuple[sq.Clause, bool]:
    """The ranked driver, or another positive clause that matches fewer rows (each
    counted up to ``_COUNTED``); and whether the one chosen matches fewer than that.

    Ranks know kinds of parameters, not the data: no appointment may be on the waitlist
    (``status=waitlist``) while a practitioner has thousands (``practitioner=X``), though
    a reference ranks before a plain token. Only direct index lookups are counted (a
    chain or ``_has`` count would run its join).
    """
    if len(positive) < 2 or _selectivity(ranked) == 0 or not _countable(ranked):
        return ranked, False
    best, fewest = ranked, _count(search, resource_type, ranked, _COUNTED)
    for clause in positive:
        if fewest == 0:
            break
        if clause is not ranked and _countable(clause):
            found = _count(search, resource_type, clause, fewest)
            if found < fewest:
                best, fewest = clause, found
    return best, fewest < _COUNTED


_COUNTABLE = (
    sq.TokenCond,
    sq.StringCond,
    sq.ReferenceCond,
    sq.DateCond,
    sq.DateAllCond,
    sq.UriCond,
)


def _countable(clause: sq.Clause) -> bool:
    return all(isinstance(c, _COUNTABLE) for c in clause.any_of)


def _count(search: SqlSearch, resource_type: str, clause: sq.Clause, limit: int) -> int:
    """The clause's matches up to ``limit``: each condition's counted apart and added up,
    so a resource two conditions match counts twice. A UNION would be read whole to
    drop duplicates before any LIMIT applied."""
    found = 0
    for cond in clause.any_of:
        sql = Sql().add("SELECT count(*) FROM (")
        search.condition(resource_type, cond, sql)
        sql = search.joins.before(sql.add(" LIMIT ?)", limit - found))
        found += int(search.conn.execute(str(sql), sql.args).fetchone()[0])
        if found >= limit:
            break
    return found


_DATES = (sq.DateCond, sq.DateAllCond)


def _pair_source(
    search: SqlSearch, resource_type: str, positive: list[sq.Clause]
) -> tuple[Sql, tuple[sq.Clause, sq.Clause]] | None:
    """A reference clause and a date clause as ranges on ``idx_ref_date``, if present.

    Only clauses on the type's own parameters, local references (one range for each
    of a clause's values) and a single date condition: what the pair table holds (see
    its DDL).
    """
    reference: tuple[sq.Clause, list[sq.ReferenceCond]] | None = None
    date: tuple[sq.Clause, sq.DateCond | sq.DateAllCond] | None = None
    for clause in positive:
        cond = clause.any_of[0]
        if isinstance(cond, sq.AllOfCond) or cond.param.startswith("_"):
            continue
        refs = [c for c in clause.any_of if isinstance(c, sq.ReferenceCond) and c.target_id]
        if reference is None and len(refs) == len(clause.any_of):
            reference = (clause, refs)
        elif date is None and len(clause.any_of) == 1 and isinstance(cond, _DATES):
            date = (clause, cond)
    if reference is None or date is None:
        return None
    (ref_clause, refs), (date_clause, when) = reference, date
    pr, pd = search.key(resource_type, refs[0].param), search.key(resource_type, when.param)
    if pr is None or pd is None:
        return None
    source = Sql()
    # A resource pointing at two of the references, or at one twice, is one candidate.
    for n, ref in enumerate(dict.fromkeys(refs)):
        source.add(" UNION SELECT rid" if n else "SELECT DISTINCT rid")
        source.add(" FROM idx_ref_date WHERE pr = ? AND pd = ? AND target_id = ?", pr, pd)
        source.args.append(ref.target_id)
        if ref.target_type is not None:
            source.add(" AND target_type = ?", ref.target_type)
        date_where(when, source, search.widest(pd))
    return source, (ref_clause, date_clause)


def _drive_rank(query: sq.SearchQuery, clause: sq.Clause) -> tuple[int, bool]:
    """The order in which clauses are preferred to drive a query (lowest first).

    A range on the date the page is sorted by is read in order and stops at the page,
    however many rows it matches: it drives unless a listable clause is more selective,
    and wins a tie.
    """
    ordered = _sort_range(query, clause) is not None
    rank = _selectivity(clause)
    return (min(rank, _LISTABLE_RANK) if ordered else rank, not ordered)


def _sort_range(query: sq.SearchQuery, clause: sq.Clause) -> sq.DateCond | sq.DateAllCond | None:
    """The clause's condition if it is a range on the one-valued date sorted by first.

    Only a parameter with one date at most per resource (``DateCond.point``, decided
    from the resource's definition): its sort value (the smallest ``low``) is then the
    ``low`` the range bounds. With several values it may lie outside the range.
    """
    if not query.sort or clause.negate or len(clause.any_of) != 1:
        return None
    cond = clause.any_of[0]
    if isinstance(cond, sq.DateAllCond):
        point = all(part.point for part in cond.parts)
    elif isinstance(cond, sq.DateCond):
        point = cond.point
    else:
        return None
    return cond if point and cond.param == query.sort[0].param else None


def _date_order(
    search: SqlSearch, query: sq.SearchQuery, drive: sq.Clause
) -> tuple[int, tuple[int | None, int | None]] | None:
    """The sort key and the bounds of its values when the page reads in date order."""
    cond = _sort_range(query, drive)
    p = None if cond is None else search.key(query.resource_type, cond.param)
    if cond is None or p is None:
        return None
    return p, cond.low_bounds(search.widest(p))


_LISTABLE_RANK = 3  # identifiers, references, exact strings, system|code, date ranges


def _listable(clause: sq.Clause) -> bool:
    return _selectivity(clause) <= _LISTABLE_RANK


def _selectivity(clause: sq.Clause) -> int:
    """A rough rank of how few rows a clause matches (lower: fewer), to pick the driver."""
    return max(_condition_rank(c) for c in clause.any_of)


def _condition_rank(cond: sq.Condition) -> int:
    if isinstance(cond, sq.TokenCond):
        if cond.param in ("_id", "identifier") or ":" in cond.param:
            return 0
        return 3 if cond.system and cond.code else 5
    if isinstance(cond, sq.StringCond):
        match = sq.StringMatch
        return {match.EXACT: 2, match.PREFIX: 4, match.CONTAINS: 7}[cond.match]
    if isinstance(cond, sq.DateCond):
        return 3 if cond.op is sq.DateOp.EQ else 6
    ranks: dict[type, int] = {
        sq.ReferenceCond: 1,
        sq.ChainCond: 2,
        sq.HasCond: 2,
        sq.AllOfCond: 8,
        sq.UriCond: 3,
        sq.DateAllCond: 3,
        sq.MissingCond: 8,
    }
    return ranks.get(type(cond), 8)


_BROAD = 2000  # a driving clause with this many matches is walked, not listed


def broad(conn: sqlite3.Connection, keys: ParamKeys, query: sq.SearchQuery) -> bool:
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
    return _count(SqlSearch(conn, keys), query.resource_type, drive, _BROAD) >= _BROAD

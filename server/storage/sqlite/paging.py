"""Keyset pages of a SQLite search: the page's SQL past a cursor, and the page it reads.

Pages are keyset-paged on (sort keys..., rid): a cursor holds the last row's sort
position, never an offset.
"""

from __future__ import annotations

from typing import Any

from server.search.query import SearchQuery
from server.storage.cursor import encode_cursor, neighbours
from server.storage.ordering import Past, keyset_steps
from server.storage.port import Method, SearchPage, StoredVersion
from server.storage.sqlite.conditions import NOTHING, SqlSearch
from server.storage.sqlite.sql import Sql


def sorted_page(
    search: SqlSearch,
    query: SearchQuery,
    source: Sql,
    filters: Sql,
    position: dict[str, Any] | None,
    backwards: bool,
) -> Sql:
    """Every candidate joined to its sort keys, sorted, cut after the page."""
    matched = Sql().add(f"FROM ({source}) m", *source.args)
    columns = _sort_joins(search, query, matched, 0)
    matched.add(f" WHERE 1{filters}", *filters.args)
    return _cut(query, matched, columns, position, backwards)


def dated_page(
    search: SqlSearch,
    query: SearchQuery,
    p: int,
    bounds: tuple[int | None, int | None],
    checks: Sql,
    position: dict[str, Any] | None,
    backwards: bool,
) -> Sql:
    """The sort rows of the first sort key read in its order, checked, cut after the page.

    For a first sort key ``p`` that is a one-valued date the query restricts by: a
    resource's sort value is then its one date's ``low``, so the restriction's
    ``bounds`` on ``low`` bound the sort values to read, and the page is the first rows
    of ``idx_sort_value`` that pass ``checks`` (the date condition itself among them),
    never a sort of every match. Ties stay in rid order, the index's next column.
    """
    matched = Sql().add("FROM idx_sort m INDEXED BY idx_sort_value")
    columns = ["m.value", *_sort_joins(search, query, matched, 1)]
    matched.add(" WHERE m.p = ?", p)
    first, end = bounds
    if first is not None:
        matched.add(" AND m.value >= ?", first)
    if end is not None:
        matched.add(" AND m.value < ?", end)
    if position is not None and position["k"][0] is not None:
        # Implied by the keyset below, but a bound the index can seek to: a later page
        # starts at its position instead of reading past every earlier page's rows.
        ascending = query.sort[0].descending == backwards
        matched.add(f" AND m.value {'>=' if ascending else '<='} ?", position["k"][0])
    matched.add(f"{checks}", *checks.args)
    return _cut(query, matched, columns, position, backwards)


def _sort_joins(search: SqlSearch, query: SearchQuery, matched: Sql, start: int) -> list[str]:
    """Join the sort rows of the sort keys from ``start`` on; their value columns."""
    columns: list[str] = []
    for i, key in enumerate(query.sort[start:], start):
        p = search.key(query.resource_type, key.param)
        matched.add(f" LEFT JOIN idx_sort s{i} ON s{i}.p = ? AND s{i}.rid = m.rid", p)
        columns.append(f"s{i}.value")
    return columns


def _cut(
    query: SearchQuery,
    matched: Sql,
    columns: list[str],
    position: dict[str, Any] | None,
    backwards: bool,
) -> Sql:
    """The rids of ``matched`` and their sort values, past the cursor, ordered, limited."""
    inner = Sql().add("SELECT m.rid AS rid")
    for i, column in enumerate(columns):
        inner.add(f", {column} AS k{i}")
    inner.add(f" {matched}", *matched.args)
    directions = [k.descending != backwards for k in query.sort] + [backwards]
    if position is not None:
        keyset(inner, [*columns, "m.rid"], directions, [*position["k"], position["r"]])
    inner.add(f" ORDER BY {order([*columns, 'm.rid'], directions)} LIMIT ?", query.count + 1)
    return inner


def merged_page(
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
        return Sql().add(NOTHING)
    select = "SELECT m.rid AS rid" if len(arms) > 1 else "SELECT DISTINCT m.rid AS rid"
    inner = Sql()
    for i, arm in enumerate(arms):
        inner.add(" UNION " if i else "")
        inner.add(f"{select} FROM ({arm}) m WHERE 1{filters}", *arm.args)
        inner.args.extend(filters.args)
        if position is not None:
            keyset(inner, ["m.rid"], [backwards], [position["r"]])
    inner.add(f" ORDER BY 1 {'DESC' if backwards else 'ASC'} LIMIT ?", limit)
    return inner


def order(columns: list[str], descending: list[bool]) -> str:
    return ", ".join(
        f"{c} {'DESC' if d else 'ASC'}" for c, d in zip(columns, descending, strict=True)
    )


def to_page(
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


def keyset(sql: Sql, columns: list[str], descending: list[bool], values: list[Any]) -> None:
    """Append the rows strictly after ``values`` in the order of ``columns`` (NULL first)."""
    alternatives: list[str] = []
    args: list[Any] = []
    for step in keyset_steps(columns, descending, values):
        parts: list[str] = []
        for prior, prior_value in step.equal:
            if prior_value is None:
                parts.append(f"{prior} IS NULL")
            else:
                parts.append(f"{prior} = ?")
                args.append(prior_value)
        column = step.column
        if step.past is Past.NOT_NULL:
            parts.append(f"{column} IS NOT NULL")
        elif step.past is Past.BELOW_OR_NULL:
            parts.append(f"({column} < ? OR {column} IS NULL)")
            args.append(step.value)
        else:
            parts.append(f"{column} > ?")
            args.append(step.value)
        alternatives.append("(" + " AND ".join(parts) + ")")
    sql.add(" AND (" + (" OR ".join(alternatives) or "0") + ")", *args)

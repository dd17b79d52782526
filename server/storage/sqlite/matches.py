"""The row conditions of string, token, reference and URI matches, over columns a caller names.

Shared by the index tables' conditions (``server.storage.sqlite.conditions``) and
AuditEvent's links (``server.storage.sqlite.audit_where``), whose columns are named
``system``, ``code`` and ``text`` for tokens as well.
"""

from __future__ import annotations

from server.search import query as sq
from server.search.text_fold import fold
from server.storage.ordering import PREFIX_END
from server.storage.sqlite.sql import Sql


def string_where(
    cond: sq.StringCond, sql: Sql, folded: str = "folded", exact: str = "exact"
) -> None:
    """Append `` AND ...`` for the rows whose ``folded``/``exact`` columns match ``cond``."""
    if cond.match is sq.StringMatch.PREFIX:
        sql.add(f" AND {folded} >= ? AND {folded} < ?", cond.value, cond.value + PREFIX_END)
    elif cond.match is sq.StringMatch.CONTAINS:
        sql.add(f" AND instr({folded}, ?) > 0", cond.value)
    else:
        sql.add(f" AND {folded} = ? AND {exact} = ?", fold(cond.value), cond.value)


def token_where(cond: sq.TokenCond, sql: Sql) -> None:
    """Append `` AND ...`` for the rows whose ``system``/``code``/``text`` match ``cond``."""
    if cond.code is not None:
        sql.add(" AND code = ?", cond.code)
    if cond.system == "":
        sql.add(" AND system IS NULL")
    elif cond.system is not None:
        sql.add(" AND system = ?", cond.system)
    if cond.text is not None:
        sql.add(" AND text >= ? AND text < ?", cond.text, cond.text + PREFIX_END)


def uri_where(cond: sq.UriCond, sql: Sql, value: str = "value") -> None:
    """Append `` AND ...`` for the rows whose ``value`` column matches ``cond``."""
    if cond.match is sq.UriMatch.BELOW:
        sql.add(f" AND {value} >= ? AND {value} < ?", cond.value, cond.value + PREFIX_END)
    elif cond.match is sq.UriMatch.ABOVE:
        marks = ", ".join("?" * len(cond.candidates))
        sql.add(f" AND {value} IN ({marks})", *cond.candidates)
    else:
        sql.add(f" AND {value} = ?", cond.value)


def reference_where(
    cond: sq.ReferenceCond,
    sql: Sql,
    columns: tuple[str, str, str] = ("target_type", "target_id", "url"),
) -> None:
    """Append `` AND ...`` for the rows whose (type, id, url) ``columns`` match ``cond``."""
    target_type, target_id, url = columns
    if cond.url is not None:
        sql.add(f" AND {url} = ?", cond.url)
        return
    sql.add(f" AND {target_id} = ?", cond.target_id)
    if cond.target_type is not None:
        sql.add(f" AND {target_type} = ?", cond.target_type)

"""The current resources whose reference index rows point at one resource."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence


def select_referrers(
    conn: sqlite3.Connection,
    target: tuple[str, str],
    sources: Mapping[str, Sequence[str]],
    limit: int,
) -> list[tuple[str, str]]:
    """Up to ``limit`` (type, id) of live resources referring to ``target`` under ``sources``.

    Driven by ``idx_reference_target`` (p, target_id, target_type): one probe per
    source parameter, never a scan of the reference rows.
    """
    pairs = [(t, code) for t, codes in sources.items() for code in codes]
    if not pairs:
        return []
    values = ", ".join(["(?, ?)"] * len(pairs))
    rows = conn.execute(
        f"WITH s(t, c) AS (VALUES {values}) "  # noqa: S608
        "SELECT DISTINCT r.type, r.id FROM s "
        "CROSS JOIN search_param sp ON sp.type = s.t AND sp.code = s.c "
        "CROSS JOIN idx_reference x ON x.p = sp.p AND x.target_id = ? AND x.target_type = ? "
        "JOIN resource r ON r.rid = x.rid "
        "WHERE r.deleted = 0 AND NOT (r.type = ? AND r.id = ?) LIMIT ?",
        [*(part for pair in pairs for part in pair), target[1], target[0], *target, limit],
    ).fetchall()
    return [(str(t), str(i)) for t, i in rows]

"""Referential integrity at commit (``Write.requires`` and ``Write.unreferenced``).

Checked in the write's transaction, before its versions are applied, so a create and a
delete that each checked the other's resource before either committed cannot both be
stored: the one the writer thread applies second sees the first (see the port).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from server.storage.port import ReferenceChanged, Write, requirement_holds
from server.storage.sqlite.referrers import select_referrers


def check_references(conn: sqlite3.Connection, writes: Sequence[Write]) -> None:
    """Raise ReferenceChanged if a write's integrity conditions no longer hold."""
    written = {(w.version.resource_type, w.version.id) for w in writes}
    for write in writes:
        for required in write.requires:
            key = required[:2]
            if key in written:
                continue
            row = conn.execute(
                "SELECT deleted, version FROM resource WHERE type = ? AND id = ?", key
            ).fetchone()
            stored = (bool(row[0]), row[1]) if row is not None else (None, None)
            if not requirement_holds(required, *stored):
                raise ReferenceChanged(*key)
        if write.unreferenced is not None:
            target = (write.version.resource_type, write.version.id)
            found = select_referrers(conn, target, write.unreferenced, len(written) + 1)
            if any(key not in written for key in found):
                raise ReferenceChanged(*target)

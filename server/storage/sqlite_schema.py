"""SQLite tables and indexes: current resources, every version, and search index rows.

``resource`` has one row per (type, id) pointing at its current ``version`` row;
``version`` keeps every version's bytes in commit order (``seq``), which is the order
history is served in. The ``idx_*`` tables hold the current version's search index
entries, keyed by the resource's ``rid`` and a small integer per search parameter.
"""

from __future__ import annotations

import sqlite3

PRAGMAS: tuple[str, ...] = (
    "PRAGMA journal_mode=WAL",
    # FULL: a commit is on disk before the write's response is sent.
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA cache_size=-65536",
    "PRAGMA mmap_size=1073741824",
    "PRAGMA temp_store=MEMORY",
)

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS resource (
        rid INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        UNIQUE (type, id)
    )""",
    """CREATE TABLE IF NOT EXISTS version (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        rid INTEGER NOT NULL,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        method TEXT NOT NULL,
        body BLOB,
        UNIQUE (rid, version)
    )""",
    "CREATE INDEX IF NOT EXISTS version_by_type ON version (type, seq)",
    "CREATE INDEX IF NOT EXISTS resource_live ON resource (type, deleted, rid)",
    """CREATE TABLE IF NOT EXISTS search_param (
        p INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        code TEXT NOT NULL,
        UNIQUE (type, code)
    )""",
    """CREATE TABLE IF NOT EXISTS idx_string (
        p INTEGER NOT NULL, folded TEXT NOT NULL, exact TEXT NOT NULL, rid INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS idx_string_value ON idx_string (p, folded, rid)",
    "CREATE INDEX IF NOT EXISTS idx_string_rid ON idx_string (rid)",
    """CREATE TABLE IF NOT EXISTS idx_token (
        p INTEGER NOT NULL, system TEXT, code TEXT, text TEXT, rid INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS idx_token_code ON idx_token (p, code, system, rid)",
    "CREATE INDEX IF NOT EXISTS idx_token_system ON idx_token (p, system, rid)",
    "CREATE INDEX IF NOT EXISTS idx_token_rid ON idx_token (rid)",
    """CREATE TABLE IF NOT EXISTS idx_date (
        p INTEGER NOT NULL, low INTEGER NOT NULL, high INTEGER NOT NULL, rid INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS idx_date_low ON idx_date (p, low, high, rid)",
    "CREATE INDEX IF NOT EXISTS idx_date_high ON idx_date (p, high, low, rid)",
    "CREATE INDEX IF NOT EXISTS idx_date_rid ON idx_date (rid)",
    """CREATE TABLE IF NOT EXISTS idx_reference (
        p INTEGER NOT NULL, target_type TEXT, target_id TEXT, url TEXT, rid INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS idx_reference_target "
    "ON idx_reference (p, target_id, target_type, rid)",
    "CREATE INDEX IF NOT EXISTS idx_reference_url ON idx_reference (p, url, rid)",
    "CREATE INDEX IF NOT EXISTS idx_reference_rid ON idx_reference (rid)",
    """CREATE TABLE IF NOT EXISTS idx_uri (
        p INTEGER NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS idx_uri_value ON idx_uri (p, value, rid)",
    "CREATE INDEX IF NOT EXISTS idx_uri_rid ON idx_uri (rid)",
    "CREATE INDEX IF NOT EXISTS idx_token_text ON idx_token (p, text, rid)",
    """CREATE TABLE IF NOT EXISTS idx_sort (p INTEGER NOT NULL, rid INTEGER NOT NULL,
        value ANY, PRIMARY KEY (p, rid)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS idx_sort_value ON idx_sort (p, value, rid)",
    "CREATE INDEX IF NOT EXISTS idx_sort_rid ON idx_sort (rid)",
    """CREATE TABLE IF NOT EXISTS idx_present (p INTEGER NOT NULL, rid INTEGER NOT NULL,
        PRIMARY KEY (p, rid)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS idx_present_rid ON idx_present (rid)",
    """CREATE TABLE IF NOT EXISTS hl7_ledger (
        sender TEXT NOT NULL,
        control_id TEXT NOT NULL,
        received INTEGER NOT NULL,
        message_type TEXT NOT NULL,
        event_time INTEGER,
        outcome TEXT NOT NULL,
        raw BLOB NOT NULL,
        details BLOB NOT NULL,
        PRIMARY KEY (sender, control_id)
    )""",
    "CREATE INDEX IF NOT EXISTS hl7_ledger_received ON hl7_ledger (received)",
)

INDEX_TABLES: tuple[str, ...] = (
    "idx_string",
    "idx_token",
    "idx_date",
    "idx_reference",
    "idx_uri",
    "idx_present",
    "idx_sort",
)


def apply_schema(conn: sqlite3.Connection) -> None:
    """Create every table and index that does not exist yet."""
    for statement in DDL:
        conn.execute(statement)

"""SQLite tables and indexes: current resources, every version, and search index rows.

``resource`` has one row per (type, id) pointing at its current ``version`` row;
``version`` keeps every version's bytes in commit order (``seq``), which is the order
history is served in. The ``idx_*`` tables hold the current version's search index
entries, keyed by the resource's ``rid`` and a small integer per search parameter.
``conditional_guard`` holds the claims that keep conditional writes to one resource.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time

from server.storage.sqlite.audit import DDL as AUDIT_DDL
from server.storage.sqlite.audit import RETIRED as RETIRED_AUDIT_INDEXES
from server.storage.sqlite.audit import move_events
from server.storage.sqlite.audit_signatures import DDL as SIGNATURE_DDL
from server.storage.sqlite.audit_signatures import add_column, share_links
from server.storage.sqlite.holds import DDL as HOLDS_DDL
from server.storage.sqlite.outbox import DDL as OUTBOX_DDL
from server.storage.sqlite.type_counts import BACKFILL as BACKFILL_TYPE_COUNTS
from server.storage.sqlite.type_counts import DDL as TYPE_COUNT_DDL
from server.storage.sqlite.type_counts import RETIRED_TRIGGERS
from server.storage.sqlite.type_counts import TABLE as TYPE_COUNT_TABLE

log = logging.getLogger("fhirport.storage")

PRAGMAS: tuple[str, ...] = (
    "PRAGMA journal_mode=WAL",
    # FULL: a commit is on disk before the write's response is sent.
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA cache_size=-65536",
    "PRAGMA mmap_size=1073741824",
    "PRAGMA temp_store=MEMORY",
    # A checkpoint copies each page changed since the last one back into the database
    # once, however often it changed: a busy index page (an import's, an audit trail's)
    # changes many times in 40 MB of WAL, and SQLite's default checkpointed every 4 MB.
    "PRAGMA wal_autocheckpoint=10000",
)

# A reader connection reads through its page cache, not a mapping of the file: SQLite
# unmaps a connection's mapping whenever another connection has committed since its
# last read, and each reader then faulted its pages back in, a fault per page, after
# every group commit (under audited reads, every flush of the audit trail).
READER_PRAGMAS: tuple[str, ...] = ("PRAGMA query_only=ON", "PRAGMA mmap_size=0")

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
        event_time INTEGER,
        owners BLOB,
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
    # Partial: most references point inside the server and most codings have no text,
    # and a row outside an index costs nothing to write there.
    "CREATE INDEX IF NOT EXISTS idx_reference_urls ON idx_reference (p, url, rid) "
    "WHERE url IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS idx_reference_rid ON idx_reference (rid)",
    """CREATE TABLE IF NOT EXISTS idx_uri (
        p INTEGER NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS idx_uri_value ON idx_uri (p, value, rid)",
    "CREATE INDEX IF NOT EXISTS idx_uri_rid ON idx_uri (rid)",
    "CREATE INDEX IF NOT EXISTS idx_token_texts ON idx_token (p, text, rid) WHERE text IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS idx_sort (p INTEGER NOT NULL, rid INTEGER NOT NULL,
        value ANY, PRIMARY KEY (p, rid)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS idx_sort_value ON idx_sort (p, value, rid)",
    "CREATE INDEX IF NOT EXISTS idx_sort_rid ON idx_sort (rid)",
    # One row per (reference, date) value pair of a resource: "this practitioner's
    # appointments on this day" is a range on one index instead of an intersection of
    # two large match lists (every appointment of the practitioner, every one that day).
    """CREATE TABLE IF NOT EXISTS idx_ref_date (
        pr INTEGER NOT NULL, pd INTEGER NOT NULL, target_type TEXT, target_id TEXT NOT NULL,
        low INTEGER NOT NULL, high INTEGER NOT NULL, rid INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS idx_ref_date_value "
    "ON idx_ref_date (pr, pd, target_id, low, high, rid)",
    "CREATE INDEX IF NOT EXISTS idx_ref_date_rid ON idx_ref_date (rid)",
    # The widest value (high - low) ever indexed per date parameter: a search for
    # values from a day on need not start scanning a year earlier when every stored
    # value is a day wide. Only grows (a delete leaves it), so it stays an upper bound.
    """CREATE TABLE IF NOT EXISTS date_width (
        p INTEGER PRIMARY KEY, widest INTEGER NOT NULL)""",
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
    # Which resource claimed each conditional create's or update's criteria (the key
    # hashes the type and the criteria): see server.storage.port.
    """CREATE TABLE IF NOT EXISTS conditional_guard (
        key TEXT PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL) WITHOUT ROWID""",
    *OUTBOX_DDL,
    *HOLDS_DDL,
    *AUDIT_DDL,
    *SIGNATURE_DDL,
    *TYPE_COUNT_DDL,
)

# Every index table and the columns its rows are written with (sqlite_index builds
# rows in this order); the trigger below clears the same tables.
INDEX_COLUMNS: dict[str, tuple[str, ...]] = {
    "idx_string": ("p", "folded", "exact", "rid"),
    "idx_token": ("p", "system", "code", "text", "rid"),
    "idx_date": ("p", "low", "high", "rid"),
    "idx_reference": ("p", "target_type", "target_id", "url", "rid"),
    "idx_uri": ("p", "value", "rid"),
    "idx_sort": ("p", "rid", "value"),
    "idx_ref_date": ("pr", "pd", "target_type", "target_id", "low", "high", "rid"),
}
INDEX_TABLES: tuple[str, ...] = tuple(INDEX_COLUMNS)

# Pairs of the type's own parameters only: ``_lastUpdated`` would double the rows of
# every resource that has a reference, for a query (recent changes of one patient's
# resources) that the date index alone answers well.
_BACKFILL_PAIRS = """INSERT INTO idx_ref_date (pr, pd, target_type, target_id, low, high, rid)
    SELECT r.p, d.p, r.target_type, r.target_id, d.low, d.high, r.rid
    FROM idx_reference r JOIN idx_date d ON d.rid = r.rid
    JOIN search_param sr ON sr.p = r.p JOIN search_param sd ON sd.p = d.p
    WHERE r.target_id IS NOT NULL AND substr(sr.code, 1, 1) <> '_'
    AND substr(sd.code, 1, 1) <> '_'"""


# A deleted resource has no index rows, so they go with the ``resource`` row's UPDATE
# to a delete marker, inside SQLite: one statement from Python instead of one per table.
# A new resource (seq 0) has none; an update rewrites only the rows that changed
# (``index_update``). Recreated on every open so that it always names every table above.
_UNINDEX = (
    "CREATE TRIGGER resource_unindex AFTER UPDATE OF seq ON resource "  # noqa: S608 - fixed names
    "WHEN OLD.seq <> 0 AND NEW.deleted = 1 BEGIN "
    + " ".join(f"DELETE FROM {table} WHERE rid = OLD.rid;" for table in INDEX_TABLES)  # noqa: S608
    + " END"
)

_BACKFILL_WIDTHS = """INSERT INTO date_width (p, widest)
    SELECT p, max(high - low) FROM idx_date GROUP BY p"""


# Databases written before idx_sort answered :missing kept the present parameters in
# a table of their own: their rows become sort rows without a value (where there is
# no sort row already), and the table goes.
_RETIRE_PRESENT = (
    "INSERT OR IGNORE INTO idx_sort (p, rid, value) SELECT p, rid, NULL FROM idx_present",
    "DROP TABLE idx_present",
)


def apply_schema(conn: sqlite3.Connection) -> None:
    """Create every table and index that does not exist yet, filling new index tables.

    A database written before a table existed gets its rows derived from the tables
    it already has, in the same transaction, so no search misses older resources;
    a column added since (``version.event_time``) is empty in the rows before it.
    """
    existing = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    upgrades = _upgrades(existing)
    if upgrades:
        # The store is unavailable until this commits, for minutes on a large database.
        log.warning(
            "Upgrading the SQLite database %s (%s) in one transaction; a large database "
            "takes minutes, and the store opens when it is done",
            _file_of(conn),
            ", ".join(upgrades),
        )
    started = time.monotonic()
    conn.execute("BEGIN IMMEDIATE")
    try:
        unshared = add_column(conn)
        for statement in DDL:
            conn.execute(statement)
        conn.execute("DROP TRIGGER IF EXISTS resource_unindex")
        conn.execute(_UNINDEX)
        for trigger in RETIRED_TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        if "resource" in existing and "idx_ref_date" not in existing:
            conn.execute(_BACKFILL_PAIRS)
        if "resource" in existing and "date_width" not in existing:
            conn.execute(_BACKFILL_WIDTHS)
        if "resource" in existing and TYPE_COUNT_TABLE not in existing:
            for statement in BACKFILL_TYPE_COUNTS:
                conn.execute(statement)
        # Their whole-table predecessors (every row, NULLs too).
        conn.execute("DROP INDEX IF EXISTS idx_reference_url")
        conn.execute("DROP INDEX IF EXISTS idx_token_text")
        for index in RETIRED_AUDIT_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {index}")
        if "version" in existing and not _has_column(conn, "version", "event_time"):
            conn.execute("ALTER TABLE version ADD COLUMN event_time INTEGER")
        if "version" in existing and not _has_column(conn, "version", "owners"):
            conn.execute("ALTER TABLE version ADD COLUMN owners BLOB")
        if "idx_present" in existing:
            for statement in _RETIRE_PRESENT:
                conn.execute(statement)
        moved = move_events(conn, INDEX_TABLES) if "resource" in existing else 0
        if unshared or moved:
            share_links(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if upgrades:
        log.warning("Upgraded %s in %.1f s", _file_of(conn), time.monotonic() - started)
    if moved:
        log.warning(
            "Moved %d AuditEvents of %s to their own tables in %.1f s",
            moved,
            _file_of(conn),
            time.monotonic() - started,
        )


_INDEX_OF = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ON (\w+)")
_CREATED = re.compile(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)")


def missing_objects(conn: sqlite3.Connection) -> list[str]:
    """The tables and indexes of the schema this database lacks (none once opened)."""
    existing = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    wanted = (match[1] for statement in DDL if (match := _CREATED.match(statement)))
    return [name for name in wanted if name not in existing]


def _upgrades(existing: set[str]) -> list[str]:
    """What opening a database written by an older fhirport rebuilds (slow steps only)."""
    if "resource" not in existing:
        return []  # a new database: nothing to derive
    found = [
        f"index {match[1]}"
        for statement in DDL
        if (match := _INDEX_OF.match(statement))
        and match[2] in existing
        and match[1] not in existing
    ]
    if "idx_ref_date" not in existing:
        found.append("reference and date pairs (idx_ref_date)")
    if "date_width" not in existing:
        found.append("date widths")
    if TYPE_COUNT_TABLE not in existing:
        found.append("counts per type")
    if "idx_present" in existing:
        found.append("presence rows moved to idx_sort")
    return found


def _file_of(conn: sqlite3.Connection) -> str:
    return str(next((row[2] for row in conn.execute("PRAGMA database_list")), "") or ":memory:")


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))

"""How many current (not deleted) resources of each type there are, kept with the writes.

Counting a type's rows walks its part of an index, so a count grew with the store; a
row per type in ``type_count``, moved by triggers on ``resource`` inside the writing
transaction, answers it with one lookup and stays exact: every path that adds, deletes
or revives a resource row (a write, a batch append, an expunge) or an AuditEvent goes
through the triggers, and a rolled-back write takes its count changes with it. New
AuditEvents are counted by the statements storing them, a batch at a time
(``count_new_events``): a trigger per inserted row made each of the batch's multi-row
INSERTs keep a statement journal, a copy of every page it changed.
"""

from __future__ import annotations

import sqlite3

TABLE = "type_count"

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS type_count (
        type TEXT PRIMARY KEY, live INTEGER NOT NULL) WITHOUT ROWID""",
    # New resources are inserted live (a delete of one never stored inserts it live and
    # then marks it deleted, which the update trigger takes back).
    """CREATE TRIGGER IF NOT EXISTS type_count_insert AFTER INSERT ON resource
        WHEN NEW.deleted = 0 BEGIN
        INSERT INTO type_count (type, live) VALUES (NEW.type, 1)
        ON CONFLICT (type) DO UPDATE SET live = live + 1; END""",
    """CREATE TRIGGER IF NOT EXISTS type_count_update AFTER UPDATE OF deleted ON resource
        WHEN OLD.deleted <> NEW.deleted BEGIN
        INSERT INTO type_count (type, live) VALUES (NEW.type, iif(NEW.deleted = 0, 1, -1))
        ON CONFLICT (type) DO UPDATE SET live = live + excluded.live; END""",
    """CREATE TRIGGER IF NOT EXISTS type_count_delete AFTER DELETE ON resource
        WHEN OLD.deleted = 0 BEGIN
        UPDATE type_count SET live = live - 1 WHERE type = OLD.type; END""",
    # AuditEvents live in their own table, a deleted one without its body.
    """CREATE TRIGGER IF NOT EXISTS type_count_event_update AFTER UPDATE OF body ON audit_event
        WHEN (OLD.body IS NULL) <> (NEW.body IS NULL) BEGIN
        INSERT INTO type_count (type, live)
        VALUES ('AuditEvent', iif(NEW.body IS NULL, -1, 1))
        ON CONFLICT (type) DO UPDATE SET live = live + excluded.live; END""",
    """CREATE TRIGGER IF NOT EXISTS type_count_event_delete AFTER DELETE ON audit_event
        WHEN OLD.body IS NOT NULL BEGIN
        UPDATE type_count SET live = live - 1 WHERE type = 'AuditEvent'; END""",
)

# Triggers of an older layout, dropped on open (before events move, which count themselves).
RETIRED_TRIGGERS: tuple[str, ...] = ("type_count_event_insert",)

# For a database written before the counts: once, in the schema's transaction (before
# older AuditEvents move out of ``resource``, which the triggers then count as they go).
BACKFILL = (
    """INSERT INTO type_count (type, live)
    SELECT type, count(*) FROM resource WHERE deleted = 0 GROUP BY type""",
    """INSERT INTO type_count (type, live)
    SELECT 'AuditEvent', n FROM (SELECT count(*) AS n FROM audit_event WHERE body IS NOT NULL)
    WHERE n > 0 ON CONFLICT (type) DO UPDATE SET live = live + excluded.live""",
)


def count_new_events(conn: sqlite3.Connection, live: int) -> None:
    """Count ``live`` AuditEvents (with a body) just inserted into ``audit_event``."""
    if live:
        conn.execute(
            "INSERT INTO type_count (type, live) VALUES ('AuditEvent', ?) "
            "ON CONFLICT (type) DO UPDATE SET live = live + excluded.live",
            (live,),
        )


def live_count(conn: sqlite3.Connection, resource_type: str) -> int:
    """The number of current resources of ``resource_type``."""
    row = conn.execute("SELECT live FROM type_count WHERE type = ?", (resource_type,)).fetchone()
    return int(row[0]) if row else 0

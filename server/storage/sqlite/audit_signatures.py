"""AuditEvent links that many events share, stored once: the events' signatures on SQLite.

Most of an access event's searchable values repeat from one event to the next: its type,
subtype, action and outcome, the client's identifier and address, this server as the
source. Stored as links of their own they were most of the rows (and B-tree inserts)
each read paid for. An event's links are split in two: those of the parameters that
name what the event was about (``OWN_PARAMS``: the patient, the entities, the user) stay
in ``audit_link``, a row each; the rest, as a set, is the event's signature, a row of
``audit_signature`` (found again by its key) whose links are in ``audit_sig_link``, and
the event row keeps its signature's id (``audit_event.sid``). A search condition on a
shared parameter is a condition on the event's ``sid`` (``server.storage.sqlite.audit_where``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Final

import orjson

from server.storage.audit_rows import Link

# The parameters whose values differ from event to event: kept per event.
OWN_PARAMS: Final = frozenset({"patient", "entity", "agent"})

DDL: Final = (
    """CREATE TABLE IF NOT EXISTS audit_signature (
        sid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE)""",
    """CREATE TABLE IF NOT EXISTS audit_sig_link (
        sid INTEGER NOT NULL, p TEXT NOT NULL, system TEXT, code TEXT, text TEXT)""",
    "CREATE INDEX IF NOT EXISTS audit_sig_link_value ON audit_sig_link (p, code, sid)",
    "CREATE INDEX IF NOT EXISTS audit_event_sid ON audit_event (sid, aid)",
)

_LINK = "INSERT INTO audit_sig_link (sid, p, system, code, text) VALUES (?, ?, ?, ?, ?)"


def table_of(param: str) -> tuple[str, str]:
    """The link table holding ``param``'s values, and its column naming the event's row."""
    return ("audit_link", "aid") if param in OWN_PARAMS else ("audit_sig_link", "sid")


def split(links: Iterable[Link]) -> tuple[list[Link], str]:
    """An event's own links, and the key of its signature (the shared links, in order)."""
    own: list[Link] = []
    shared: list[Link] = []
    for link in links:
        (own if link[0] in OWN_PARAMS else shared).append(link)
    return own, _key(tuple(shared))


@lru_cache(maxsize=4096)
def _key(shared: tuple[Link, ...]) -> str:
    # Events of one kind list their shared links alike: the key is made once a kind.
    return orjson.dumps(sorted(shared, key=_order)).decode()


def intern(conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, int]:
    """The signature id of each key, storing the signatures not stored yet.

    Looked up per batch rather than cached: a batch rolled back (its savepoint) takes
    the signatures it added with it.
    """
    wanted = list(dict.fromkeys(keys))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found.update(
            (key, sid)
            for sid, key in conn.execute(
                f"SELECT sid, key FROM audit_signature WHERE key IN ({marks})",  # noqa: S608 - placeholders
                chunk,
            )
        )
    for key in wanted:
        if key not in found:
            sid = conn.execute("INSERT INTO audit_signature (key) VALUES (?)", (key,)).lastrowid
            found[key] = int(sid or 0)
            conn.executemany(_LINK, [(found[key], *link) for link in orjson.loads(key)])
    return found


def _order(link: Link) -> tuple[str, str, str, str]:
    return (link[0], link[1] or "", link[2] or "", link[3] or "")


# Databases written before signatures kept every link per event: each event's shared
# links become its signature's (one signature per distinct set), and leave audit_link.
_SHARED = f"p NOT IN ({', '.join(repr(p) for p in sorted(OWN_PARAMS))})"
_UPGRADE: Final = (
    "CREATE TEMP TABLE audit_upgrade (aid INTEGER PRIMARY KEY, key TEXT NOT NULL)",
    f"""INSERT INTO audit_upgrade (aid, key)
    SELECT aid, json_group_array(json_array(p, system, code, text)) FROM (
        SELECT aid, p, system, code, text FROM audit_link WHERE {_SHARED}
        ORDER BY aid, p, coalesce(system, ''), coalesce(code, ''), coalesce(text, ''))
    GROUP BY aid""",  # noqa: S608 - fixed names
    "INSERT OR IGNORE INTO audit_signature (key) SELECT DISTINCT key FROM audit_upgrade",
    """INSERT INTO audit_sig_link (sid, p, system, code, text)
    SELECT s.sid, l.p, l.system, l.code, l.text
    FROM (SELECT key, min(aid) AS aid FROM audit_upgrade GROUP BY key) one
    JOIN audit_signature s ON s.key = one.key
    JOIN audit_link l ON l.aid = one.aid AND l."""  # noqa: S608 - fixed names
    + _SHARED
    + " WHERE s.sid NOT IN (SELECT sid FROM audit_sig_link)",
    """UPDATE audit_event SET sid = (
        SELECT s.sid FROM audit_upgrade u JOIN audit_signature s ON s.key = u.key
        WHERE u.aid = audit_event.aid)
    WHERE aid IN (SELECT aid FROM audit_upgrade)""",
    f"DELETE FROM audit_link WHERE {_SHARED}",  # noqa: S608 - fixed names
    "DROP TABLE audit_upgrade",
)


def add_column(conn: sqlite3.Connection) -> bool:
    """Give an older ``audit_event`` its ``sid`` column; return whether links must move.

    Runs before the schema's statements (its index on ``sid`` needs the column).
    """
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if "audit_event" not in tables:
        return False
    columns = {row[1] for row in conn.execute("PRAGMA table_info(audit_event)")}
    if "sid" in columns:
        return False
    conn.execute("ALTER TABLE audit_event ADD COLUMN sid INTEGER")
    return True


def share_links(conn: sqlite3.Connection) -> None:
    """Move the shared links still kept per event to signatures (an older database's).

    Inside the upgrade's transaction; events stored since signatures have none left.
    """
    for statement in _UPGRADE:
        conn.execute(statement)

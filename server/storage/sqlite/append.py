"""Many new resources at once, in a few statements: the audit trail's group commits.

``write`` runs one statement per index row (``executemany``), and each row's step lets
go of the GIL and takes it back: cheap on its own, but a server busy answering reads
holds the GIL meanwhile, so a batch of a few hundred AuditEvents (some twenty index
rows each) waits for the event loop thousands of times. Here each table gets one
``INSERT ... SELECT FROM json_each(?)`` for the whole batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import orjson

from server.storage.port import Write
from server.storage.sqlite.index import DateWidths, ParamKeys, index_rows
from server.storage.sqlite.schema import INDEX_COLUMNS


def _insert_json(table: str, columns: tuple[str, ...]) -> str:
    values = ", ".join(f"value ->> {i}" for i in range(len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM json_each(?)"  # noqa: S608 - fixed names


_INSERTS = {table: _insert_json(table, columns) for table, columns in INDEX_COLUMNS.items()}
_RESOURCES = _insert_json("resource", ("type", "id", "version", "seq", "deleted", "updated"))
# One row (a JSON array) rather than a row per resource: each row fetched is a hand-off too.
_RIDS = (
    "SELECT json_group_array(rid) FROM (SELECT r.rid AS rid FROM json_each(?) AS j "
    "JOIN resource AS r ON r.type = j.value ->> 0 AND r.id = j.value ->> 1 ORDER BY j.key)"
)
_VERSIONS = (
    "INSERT INTO version (rid, type, id, version, updated, method, body) "
    "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, "
    "CAST(value ->> 6 AS BLOB) FROM json_each(?)"
)
_CURRENT = (
    "UPDATE resource SET seq = (SELECT v.seq FROM version AS v WHERE v.rid = resource.rid) "
    "WHERE rid IN (SELECT value FROM json_each(?))"
)


def _text(body: bytes | None) -> str | None:
    # Stored bodies are UTF-8 JSON: text inside the batch's JSON, a BLOB again on insert.
    return body.decode() if body is not None else None


def append_new(
    conn: sqlite3.Connection,
    keys: ParamKeys,
    widths: DateWidths,
    writes: Sequence[Write],
) -> None:
    """Insert resources that do not exist yet (first versions), with their index rows.

    A resource that exists already fails the whole batch (the UNIQUE (type, id) key).
    """
    if any(w.expected_version != 0 or w.guard is not None or w.index is None for w in writes):
        raise ValueError("append_new takes first versions with index entries, no guards")
    new = [w.version for w in writes]
    conn.execute(
        _RESOURCES,
        (orjson.dumps([[v.resource_type, v.id, 1, 0, 0, v.last_updated] for v in new]),),
    )
    ids = orjson.dumps([[v.resource_type, v.id] for v in new])
    rids: list[int] = orjson.loads(conn.execute(_RIDS, (ids,)).fetchone()[0])
    versions = [
        [rid, v.resource_type, v.id, v.version, v.last_updated, v.method, _text(v.body)]
        for rid, v in zip(rids, new, strict=True)
    ]
    conn.execute(_VERSIONS, (orjson.dumps(versions),))
    conn.execute(_CURRENT, (orjson.dumps(rids),))
    rows: dict[str, list[tuple[object, ...]]] = {table: [] for table in INDEX_COLUMNS}
    for rid, write in zip(rids, writes, strict=True):
        assert write.index is not None
        index_rows(rows, keys.writable(conn, write.version.resource_type), rid, write.index)
    for table, table_rows in rows.items():
        if table_rows:
            conn.execute(_INSERTS[table], (orjson.dumps(table_rows),))
    for key, low, high, _ in rows["idx_date"]:
        widths.widen(conn, int(key), int(high) - int(low))  # type: ignore[call-overload]

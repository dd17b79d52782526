"""Many rows in a few multi-row statements (server.storage.sqlite.multirow), and a
booking's held keys written that way: every row, in order, few statements."""

from __future__ import annotations

import sqlite3

import pytest

from server.storage.port import Holds
from server.storage.sqlite.holds import DDL, apply_holds
from server.storage.sqlite.multirow import insert_rows


def _statements(conn: sqlite3.Connection) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    return seen


@pytest.mark.parametrize("count", [0, 1, 2, 3, 31, 32, 33, 95, 200])
def test_every_row_goes_in_in_order(count: int) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (n INTEGER, label TEXT)")
    rows = [(n, f"row {n}") for n in range(count)]

    insert_rows(conn, "t", ("n", "label"), rows)

    assert conn.execute("SELECT n, label FROM t ORDER BY rowid").fetchall() == rows


def test_a_larger_bound_takes_fewer_statements_and_the_same_rows() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (n INTEGER)")
    rows = [(n,) for n in range(700)]
    statements = _statements(conn)

    insert_rows(conn, "t", ("n",), rows, largest=512)

    assert conn.execute("SELECT n FROM t ORDER BY rowid").fetchall() == rows
    assert len([s for s in statements if s.startswith("INSERT")]) == 6  # 512+128+32+16+8+4


def test_the_bound_must_be_a_power_of_two() -> None:
    conn = sqlite3.connect(":memory:")
    with pytest.raises(ValueError, match="power of two"):
        insert_rows(conn, "t", ("n",), [(1,)], largest=100)


def test_or_replace_replaces() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t VALUES ('a', 'old')")

    insert_rows(conn, "t", ("k", "v"), [("a", "new"), ("b", "new")], verb="INSERT OR REPLACE")

    assert conn.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [("a", "new"), ("b", "new")]


def test_a_bookings_minutes_are_held_in_a_few_statements() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for ddl in DDL:
        conn.execute(ddl)
    keys = frozenset(f"Practitioner/p1@{minute}" for minute in range(90))
    statements = _statements(conn)

    apply_holds(conn, Holds(keys), "Appointment/a1")

    held = conn.execute("SELECT key FROM held_key WHERE holder = 'Appointment/a1'").fetchall()
    assert {key for (key,) in held} == keys
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == 5  # 32 + 32 + 16 + 8 + 2

"""SQLite's reader pool: each thread reads on a connection of its own, a read's result or
error reaches its awaiter, a read no one awaits any more is not run, and closing the
pool closes every connection it opened."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.storage.sqlite.threads import ReaderPool

pytestmark = pytest.mark.anyio


class Opened:
    """The connections a pool opened, and the threads that opened them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connections: list[sqlite3.Connection] = []
        self.threads: list[str] = []

    def __call__(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.connections.append(conn)
        self.threads.append(threading.current_thread().name)
        return conn


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[tuple[ReaderPool, Opened]]:
    path = tmp_path / "readers.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (7)")
    conn.close()
    opened = Opened(path)
    readers = ReaderPool(opened, 2, "test-reader")
    yield readers, opened
    readers.close()


async def test_a_read_returns_what_its_function_returns(pool: tuple[ReaderPool, Opened]) -> None:
    readers, _ = pool

    value = await readers.run(lambda conn: conn.execute("SELECT x FROM t").fetchone()[0])

    assert value == 7


async def test_a_failing_read_raises_its_error_to_its_awaiter(
    pool: tuple[ReaderPool, Opened],
) -> None:
    readers, _ = pool

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await readers.run(lambda conn: conn.execute("SELECT * FROM missing").fetchall())
    assert await readers.run(lambda conn: conn.execute("SELECT 1").fetchone()[0]) == 1


async def test_each_thread_reads_on_one_connection_of_its_own(
    pool: tuple[ReaderPool, Opened],
) -> None:
    readers, opened = pool
    both_inside = threading.Barrier(2, timeout=5)

    def read(conn: sqlite3.Connection) -> tuple[str, int]:
        both_inside.wait()  # two reads at once: one on each thread
        return threading.current_thread().name, id(conn)

    first = await asyncio.gather(readers.run(read), readers.run(read))
    again = await asyncio.gather(readers.run(read), readers.run(read))

    assert len(opened.connections) == 2
    assert sorted(opened.threads) == ["test-reader_0", "test-reader_1"]
    assert sorted(first) == sorted(again)  # the same connection on the same thread


async def test_a_read_whose_awaiter_is_gone_is_not_run(pool: tuple[ReaderPool, Opened]) -> None:
    readers, _ = pool
    release = threading.Event()
    ran: list[str] = []

    def hold(conn: sqlite3.Connection) -> None:
        release.wait(5)

    holding = [asyncio.ensure_future(readers.run(hold)) for _ in range(2)]
    await asyncio.sleep(0.05)  # both threads are inside ``hold``
    abandoned = asyncio.ensure_future(readers.run(lambda conn: ran.append("abandoned")))
    await asyncio.sleep(0)
    abandoned.cancel()
    release.set()
    await asyncio.gather(*holding)
    await readers.run(lambda conn: ran.append("after"))

    assert ran == ["after"]


async def test_closing_closes_every_connection(tmp_path: Path) -> None:
    path = tmp_path / "closing.sqlite3"
    opened = Opened(path)
    readers = ReaderPool(opened, 3)
    await asyncio.gather(*(readers.run(lambda conn: conn.execute("SELECT 1")) for _ in range(6)))

    readers.close()

    assert opened.connections
    for conn in opened.connections:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")

"""SQLite's group commit: the jobs queued together commit together, and one that fails
leaves nothing behind while the others of its group still commit."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from server.storage.sqlite.threads import WriterThread

pytestmark = pytest.mark.anyio

Job = Callable[[sqlite3.Connection], object]


class Broken(Exception):
    """What a job raises after writing part of its rows."""


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[tuple[WriterThread, list[str]]]:
    path = tmp_path / "group.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x TEXT PRIMARY KEY)")
    conn.close()
    rollbacks: list[str] = []
    thread = WriterThread(
        lambda: sqlite3.connect(path, isolation_level=None, check_same_thread=False),
        lambda: rollbacks.append("rollback"),
    )
    thread.start()
    yield thread, rollbacks
    thread.stop()


def _insert(*values: str, then_fail: bool = False) -> Job:
    def job(conn: sqlite3.Connection) -> str:
        for value in values:
            conn.execute("INSERT INTO t (x) VALUES (?)", (value,))
        if then_fail:
            raise Broken(values[-1])
        return values[-1]

    return job


async def _in_one_group(writer: WriterThread, jobs: list[Job]) -> list[object]:
    """Run ``jobs`` in one group commit: a first job holds the writer until all are queued."""
    queued = threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        queued.wait(5)

    first = asyncio.ensure_future(writer.submit(hold))
    await asyncio.sleep(0.05)  # the writer is inside ``hold`` now
    rest = [asyncio.ensure_future(writer.submit(job)) for job in jobs]
    await asyncio.sleep(0)
    queued.set()
    await first
    return list(await asyncio.gather(*rest, return_exceptions=True))


async def _rows(writer: WriterThread) -> list[str]:
    def read(conn: sqlite3.Connection) -> list[str]:
        return [str(row[0]) for row in conn.execute("SELECT x FROM t ORDER BY x")]

    return await writer.submit(read)


@pytest.mark.parametrize(
    "failing",
    [pytest.param(0, id="first"), pytest.param(1, id="middle"), pytest.param(2, id="last")],
)
async def test_a_failing_job_leaves_nothing_and_the_others_commit(
    writer: tuple[WriterThread, list[str]], failing: int
) -> None:
    thread, rollbacks = writer
    jobs = [_insert(f"{n}a", f"{n}b", then_fail=n == failing) for n in range(3)]

    results = await _in_one_group(thread, jobs)

    assert isinstance(results[failing], Broken)
    assert [r for n, r in enumerate(results) if n != failing] == [
        f"{n}b" for n in range(3) if n != failing
    ]
    assert await _rows(thread) == [f"{n}{p}" for n in range(3) if n != failing for p in "ab"]
    assert rollbacks  # the writer's caches of uncommitted keys are dropped


async def test_a_job_that_breaks_a_constraint_fails_alone(
    writer: tuple[WriterThread, list[str]],
) -> None:
    thread, _ = writer
    jobs = [_insert("x"), _insert("y", "x"), _insert("z")]

    results = await _in_one_group(thread, jobs)

    assert results[0] == "x"
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert results[2] == "z"
    assert await _rows(thread) == ["x", "z"]


async def test_a_lone_failing_job_leaves_nothing(
    writer: tuple[WriterThread, list[str]],
) -> None:
    thread, _ = writer

    with pytest.raises(Broken):
        await thread.submit(_insert("p", "q", then_fail=True))

    assert await thread.submit(_insert("r")) == "r"
    assert await _rows(thread) == ["r"]


async def test_a_group_wakes_the_event_loop_once(
    writer: tuple[WriterThread, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    thread, _ = writer
    loop = asyncio.get_running_loop()
    wakeups: list[object] = []
    call_soon_threadsafe = loop.call_soon_threadsafe

    def counted(callback: Callable[..., object], *args: object) -> asyncio.Handle:
        wakeups.append(callback)
        return call_soon_threadsafe(callback, *args)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counted)

    results = await _in_one_group(thread, [_insert("a"), _insert("b"), _insert("c")])

    assert results == ["a", "b", "c"]
    assert len(wakeups) == 2  # the holding job's group, then the three jobs'

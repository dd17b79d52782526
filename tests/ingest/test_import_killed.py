"""``fhirport hl7 import`` killed with SIGKILL part-way, then run again: nothing lost or twice."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import orjson
import pytest

from bench.process_cpu import descendants
from server.hl7v2.ingest.import_worker import alive
from server.hl7v2.ingest.importer import expand_paths
from server.hl7v2.ingest.ledger import ACCEPTED
from server.hl7v2.ingest.report import ImportReport
from server.storage.factory import store_from_url
from tests.ingest.messages import ARCHIVE
from tests.ingest.test_importer import Snapshot, run, snapshot

pytestmark = pytest.mark.slow
sys.path.insert(0, str(ARCHIVE.parent))

import archivegen  # noqa: E402 - the generator lives beside the archive


def generate(folder: Path, patients: int) -> list[Path]:
    archive = archivegen.Archive(random.Random(7))
    everyone = archivegen.people(random.Random(8), patients)
    archivegen.registrations(archive, everyone)
    archivegen.schedule(archive, everyone)
    archivegen.charges(archive, everyone)
    archivegen.updates(archive, everyone)
    archivegen.write(archive, folder)
    return expand_paths([str(folder)])


def import_command(folder: Path, store: str, report: Path) -> list[str]:
    executable = Path(sys.executable).parent / "fhirport"
    return [
        str(executable), "hl7", "import", str(folder), "--store", store,
        "--report", str(report), "--no-progress",
    ]  # fmt: skip


async def reference_import(files: list[Path], url: str) -> tuple[ImportReport, Snapshot]:
    store = store_from_url(url)
    await store.open()
    try:
        return await run(store, files), await snapshot(store)
    finally:
        await store.close()


async def snapshot_of(url: str) -> Snapshot:
    store = store_from_url(url)
    await store.open()
    try:
        return await snapshot(store)
    finally:
        await store.close()


def accepted_messages(database: Path) -> int:
    """How many messages the SQLite file has committed as accepted, read without writing.

    Every accepted message is in the ledger in the same transaction as its resources,
    so a row here is a message the import cannot lose any more.
    """
    outcomes = sorted(ACCEPTED)
    query = f"SELECT count(*) FROM hl7_ledger WHERE outcome IN ({', '.join('?' * len(outcomes))})"
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as conn:
            count: int = conn.execute(query, outcomes).fetchone()[0]
    except sqlite3.OperationalError:  # no file or no ledger yet: nothing committed
        return 0
    return count


def kill_part_way(command: list[str], database: Path) -> list[int]:
    """Run ``command`` until ``database`` holds a committed message, then SIGKILL it.

    Waiting for a commit, not for the file: the file is there long before the workers
    have started and the first message is applied, and how long that takes depends on
    how busy the machine is. Returns the processes it had started (its forkserver and
    workers, say).
    """
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 120
    while not accepted_messages(database) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = descendants(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return left


def still_running(pids: list[int], wait: float) -> list[int]:
    deadline = time.monotonic() + wait
    running = pids
    while running and time.monotonic() < deadline:
        time.sleep(0.1)
        running = [pid for pid in running if alive(pid)]
    return running


def test_killed_import_finishes_on_the_next_run(tmp_path: Path) -> None:
    files = generate(tmp_path / "in", patients=200)
    expected_report, expected = asyncio.run(
        reference_import(files, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    )
    database = tmp_path / "killed.sqlite3"
    store = f"sqlite:///{database}"

    left = kill_part_way(import_command(tmp_path / "in", store, tmp_path / "first.json"), database)
    assert not (tmp_path / "first.json").exists(), "the import finished before it was killed"
    killed_run_applied = accepted_messages(database)
    assert killed_run_applied > 0, "the import was killed before it committed a message"
    assert left, "the import had started no worker processes"
    assert still_running(left, wait=10) == [], "workers outlived the killed import"
    subprocess.run(import_command(tmp_path / "in", store, tmp_path / "second.json"), check=False)

    second = orjson.loads((tmp_path / "second.json").read_bytes())["totals"]["by_outcome"]
    first_totals = expected_report.totals()["by_outcome"]
    # What the killed run committed comes back as duplicates, on top of the archive's own.
    assert second.get("duplicate", 0) == first_totals["duplicate"] + killed_run_applied
    assert sum(second.values()) == sum(first_totals.values())
    assert asyncio.run(snapshot_of(store)) == expected

"""``fhirport hl7 import`` killed with SIGKILL part-way, then run again: nothing lost or twice."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from bench.process_cpu import descendants
from hl7.import_worker import alive
from hl7.importer import expand_paths
from hl7.ingest_report import ImportReport
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


def kill_part_way(command: list[str], started: Path) -> list[int]:
    """Run ``command`` until ``started`` exists and a second more, then SIGKILL it.

    Returns the processes it had started (its forkserver and workers, say).
    """
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # well into the import, not finished
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
    store = f"sqlite:///{tmp_path / 'killed.sqlite3'}"

    left = kill_part_way(
        import_command(tmp_path / "in", store, tmp_path / "first.json"),
        tmp_path / "killed.sqlite3-wal",
    )
    assert not (tmp_path / "first.json").exists(), "the import finished before it was killed"
    assert left, "the import had started no worker processes"
    assert still_running(left, wait=10) == [], "workers outlived the killed import"
    subprocess.run(import_command(tmp_path / "in", store, tmp_path / "second.json"), check=False)

    second = orjson.loads((tmp_path / "second.json").read_bytes())["totals"]["by_outcome"]
    first_totals = expected_report.totals()["by_outcome"]
    assert second.get("duplicate", 0) > first_totals["duplicate"]  # the killed run's work
    assert sum(second.values()) == sum(first_totals.values())
    assert asyncio.run(snapshot_of(store)) == expected

"""An unfinished export job runs in exactly one server process on a shared store.

Two servers on one SQLite file (two stores and exporters, as two processes have) both
find the job a stopped server left; they are started together and exactly one of them
runs it, once. A job whose runner died keeps its lease until the lease expires, and is
then taken over by a server that is running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import orjson
import pytest

from server.bulk.runner import ExportConfig, Exporter
from server.fhir.clock import now_us
from server.storage.bulk_port import BulkRecords
from server.storage.factory import open_bulk_records
from server.storage.sqlite.store import SqliteStore
from tests.bulk.conftest import ASYNC, export_settings, patient, put, running
from tests.released_together import released_together

pytestmark = pytest.mark.anyio

PATIENTS = 3


async def _unfinished_job(tmp_path: Path) -> str:
    """A job kicked off on a server stopped before the job read anything; its id."""
    settings = export_settings(f"sqlite:///{tmp_path / 'store.sqlite3'}", tmp_path)
    async with running(settings) as http:
        for n in range(PATIENTS):
            await put(http, patient(f"p{n}"))
        kicked = await http.get("/fhir/$export", headers=ASYNC)
        assert kicked.status_code == 202, kicked.text
    return str(kicked.headers["Content-Location"]).rstrip("/").rsplit("/", 1)[-1]


@asynccontextmanager
async def _server(tmp_path: Path, lease_s: float) -> AsyncIterator[tuple[Exporter, BulkRecords]]:
    """One server's exporter on its own store of the shared file (not started)."""
    store = SqliteStore(tmp_path / "store.sqlite3")
    await store.open()
    records = await open_bulk_records(store)
    config = ExportConfig(
        folder=tmp_path / "exports",
        retention_s=3600,
        max_jobs=4,
        file_max_bytes=1 << 20,
        sweep_interval_s=0.1,
        lease_s=lease_s,
    )
    exporter = Exporter(store, records, config, ())
    try:
        yield exporter, records
    finally:
        await exporter.close()
        await records.close()
        await store.close()


async def _completed(records: BulkRecords, job_id: str, seconds: float = 20.0) -> dict[str, object]:
    for _ in range(int(seconds / 0.05)):
        record = await records.job(job_id)
        assert record is not None
        if record.state not in ("accepted", "in-progress"):
            document: dict[str, object] = orjson.loads(record.document)
            return document
        await asyncio.sleep(0.05)
    raise AssertionError("the export did not finish")


def _exported_ids(tmp_path: Path, job_id: str) -> list[str]:
    lines = []
    for file in sorted((tmp_path / "exports" / job_id).glob("Patient*.ndjson")):
        lines.extend(orjson.loads(line)["id"] for line in file.read_bytes().splitlines())
    return sorted(lines)


@pytest.mark.parametrize("round_number", range(3))
async def test_two_servers_resume_an_unfinished_job_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, round_number: int
) -> None:
    job_id = await _unfinished_job(tmp_path)
    caplog.set_level(logging.INFO, logger="fhirport.bulk")
    async with AsyncExitStack() as stack:
        first, records = await stack.enter_async_context(_server(tmp_path, lease_s=30))
        second, _ = await stack.enter_async_context(_server(tmp_path, lease_s=30))

        await released_together([first.start, second.start])

        document = await _completed(records, job_id)
    resumed = [
        r for r in caplog.records if job_id in r.getMessage() and "resumed" in r.getMessage()
    ]
    assert len(resumed) == 1, [r.getMessage() for r in resumed]
    assert document["state"] == "completed", document
    assert _exported_ids(tmp_path, job_id) == [f"p{n}" for n in range(PATIENTS)]


async def test_a_job_whose_runner_died_is_taken_over_once_its_lease_expires(
    tmp_path: Path,
) -> None:
    job_id = await _unfinished_job(tmp_path)
    async with _server(tmp_path, lease_s=0.6) as (survivor, records):
        # A runner that claimed the job and then died: its lease is not renewed.
        assert await records.claim_job(job_id, "dead-runner", now_us() + 600_000, now_us())
        assert not await records.claim_job(job_id, "another", now_us() + 600_000, now_us())

        await survivor.start()
        await asyncio.sleep(0.2)
        waiting = await records.job(job_id)
        assert waiting is not None
        assert waiting.state == "accepted", "taken before the lease ran out"

        document = await _completed(records, job_id)

    assert document["state"] == "completed", document
    assert _exported_ids(tmp_path, job_id) == [f"p{n}" for n in range(PATIENTS)]

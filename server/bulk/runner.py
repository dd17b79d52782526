"""Export jobs in the background: started, cancelled, resumed after a restart, expired.

One asyncio task per running job, started by ``submit`` and by ``start`` (the app's
lifespan, server.app) for every job a stopped server left accepted or in progress: such a
job runs again from its first type with the same ``transactionTime``, which reads the
same snapshot (server.storage.bulk_port), so what it finally writes is what it would
have written without the restart. A job that cannot run is marked failed, never dropped.
Files live in ``{export dir}/{job id}/`` and go, with the job, ``retention`` seconds
after it completed (a sweep every ``sweep_interval``).

Servers sharing a store run each job once: a server runs a job only while it holds the
job's lease (server.storage.bulk_port), claimed before it starts or resumes the job,
renewed every third of ``lease`` while it runs (a runner that cannot renew stops), and
given back when the server stops, so a restarted server resumes at once. A job whose
server died is taken over by another once the lease expires (looked for by the sweep).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from server.auth.access import Access
from server.bulk.job import ACTIVE, ExportJob, OutputFile, State
from server.bulk.ndjson import TypeFiles
from server.bulk.request import Level
from server.bulk.selection import Selection, group_members, selection
from server.errors import FhirError, Issue, operation_outcome
from server.fhir.clock import now_us
from server.settings import Settings
from server.storage.bulk_port import BulkRecords
from server.storage.factory import open_bulk_records
from server.storage.port import Store, StoredVersion
from server.storage.sqlite.store import sqlite_path_from_url

log = logging.getLogger("fhirport.bulk")

PAGE = 1000  # resources read per snapshot query
# Writes are stamped just before they are committed: reading starts this long after
# the transaction time, so one stamped before it has landed (server.storage.bulk_port).
SETTLE_S = 0.25
PROGRESS_S = 1.0  # at most one progress update in the store this often
RETRY_AFTER_S = 2  # what a client polling a running job is told to wait


class TooManyJobs(FhirError):
    """429: as many exports are running as the server allows."""

    status = 429
    issue_code = "throttled"


@dataclass(frozen=True, slots=True)
class ExportConfig:
    folder: Path
    retention_s: float
    max_jobs: int
    file_max_bytes: int
    sweep_interval_s: float = 60.0
    lease_s: float = 30.0


class Exporter:
    """The export jobs of one store."""

    def __init__(
        self, store: Store, records: BulkRecords, config: ExportConfig, base_urls: tuple[str, ...]
    ) -> None:
        self.store = store
        self.records = records
        self.config = config
        self.base_urls = base_urls
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._admit = asyncio.Lock()
        self._sweeper: asyncio.Task[None] | None = None
        self.owner = uuid.uuid4().hex  # whose lease: this server's

    async def start(self) -> None:
        """Resume the jobs a previous run left unfinished; start the expiry sweep."""
        await self.adopt()
        self._sweeper = asyncio.create_task(self._sweep_loop(), name="export-sweep")

    async def adopt(self) -> int:
        """Run the unfinished jobs no server holds the lease of; return how many."""
        adopted = 0
        for record in await self.records.jobs(ACTIVE):
            if record.id in self._tasks or not await self._claim(record.id):
                continue
            job = ExportJob.from_record(record)
            log.info("Export %s: resumed after a restart", job.id)
            await self._reset(job)
            self._spawn(job)
            adopted += 1
        return adopted

    async def close(self) -> None:
        """Stop the running jobs (they resume at the next start) and the sweep."""
        running = list(self._tasks)
        tasks = [*self._tasks.values(), *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._sweeper = None
        for job_id in running:
            with contextlib.suppress(Exception):
                await self.records.release_job(job_id, self.owner)

    async def submit(self, job: ExportJob) -> None:
        """Keep and start a new job; TooManyJobs when ``max_jobs`` are running."""
        async with self._admit:
            running = await self.records.jobs(ACTIVE)
            if len(running) >= self.config.max_jobs:
                raise TooManyJobs(
                    f"{len(running)} exports are running, the most this server runs at once; "
                    "try again later",
                    headers={"Retry-After": str(RETRY_AFTER_S * 5)},
                )
            await self.records.add_job(job.record())
            await self._claim(job.id)
        self._spawn(job)

    async def job(self, job_id: str) -> ExportJob | None:
        """The job with that id, None if unknown, cancelled or expired."""
        record = await self.records.job(job_id)
        if record is None:
            return None
        job = ExportJob.from_record(record)
        if job.expires is not None and job.expires <= now_us():
            await self.cancel(job_id)
            return None
        return job

    async def cancel(self, job_id: str) -> bool:
        """Stop a job and delete it and its files; False if there was none."""
        task = self._tasks.pop(job_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        removed = await self.records.remove_job(job_id)
        await asyncio.to_thread(shutil.rmtree, self.folder(job_id), True)
        return removed

    def folder(self, job_id: str) -> Path:
        return self.config.folder / job_id

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def _spawn(self, job: ExportJob) -> None:
        task = asyncio.create_task(self._run(job), name=f"export-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))

    async def _reset(self, job: ExportJob) -> None:
        job.state, job.done, job.output, job.errors = State.ACCEPTED, 0, [], []
        await asyncio.to_thread(shutil.rmtree, self.folder(job.id), True)

    async def _claim(self, job_id: str) -> bool:
        now = now_us()
        return await self.records.claim_job(
            job_id, self.owner, now + int(self.config.lease_s * 1_000_000), now
        )

    async def _keep_lease(self, job_id: str, runner: asyncio.Task[None]) -> None:
        """Renew the job's lease while ``runner`` runs it; stop the runner if it was lost."""
        while True:
            await asyncio.sleep(self.config.lease_s / 3)
            if not await self._claim(job_id):
                log.warning("Export %s: its lease was lost (taken over or gone); stopped", job_id)
                runner.cancel()
                return

    async def _run(self, job: ExportJob) -> None:
        runner = asyncio.current_task()
        assert runner is not None
        lease = asyncio.create_task(self._keep_lease(job.id, runner), name=f"lease-{job.id}")
        try:
            await self._export(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("Export %s failed", job.id)
            job.state, job.failure = State.FAILED, f"The export failed: {type(exc).__name__}"
            job.completed = now_us()
            job.expires = job.completed + int(self.config.retention_s * 1_000_000)
            with contextlib.suppress(Exception):
                await self.records.replace_job(job.record())
        finally:
            lease.cancel()

    async def _export(self, job: ExportJob) -> None:
        wait = (job.transaction_time - now_us()) / 1_000_000 + SETTLE_S
        if wait > 0:
            await asyncio.sleep(wait)
        folder = self.folder(job.id)
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        job.state = State.IN_PROGRESS
        if not await self.records.replace_job(job.record()):
            return  # cancelled meanwhile
        chosen = await self._selection(job)
        if chosen.patients:
            job.errors.extend(await self._missing_members(job, folder, chosen.patients))
        for resource_type in job.types:
            job.current_type = resource_type
            files = TypeFiles(folder, resource_type, self.config.file_max_bytes)
            try:
                if not await self._export_type(job, resource_type, chosen, files):
                    return
            finally:
                written = await asyncio.to_thread(files.close)
            job.output.extend(written)
        job.state, job.current_type = State.COMPLETED, None
        job.completed = now_us()
        job.expires = job.completed + int(self.config.retention_s * 1_000_000)
        await self.records.replace_job(job.record())
        log.info("Export %s: %d resources written", job.id, job.done)

    async def _selection(self, job: ExportJob) -> Selection:
        claims = job.claims
        access = Access.of(claims, self.base_urls) if claims else Access.unrestricted()
        members = None
        if job.level is Level.GROUP and job.group is not None:
            members = group_members(await self._group_as_of(job), self.base_urls)
        return selection(job, access, members, self.base_urls)

    async def _missing_members(
        self, job: ExportJob, folder: Path, members: frozenset[str]
    ) -> list[OutputFile]:
        """An OperationOutcome a line for each member the Group names that is not on file."""
        found = await self.store.read_many([("Patient", m) for m in sorted(members)])
        missing = [key[1] for key, version in found.items() if version is None or version.deleted]
        files = TypeFiles(folder, "OperationOutcome", self.config.file_max_bytes)
        outcomes = [
            orjson.dumps(
                operation_outcome(
                    [
                        Issue(
                            f"Patient/{member}, a member of Group/{job.group}, is not on file",
                            "not-found",
                            "warning",
                        )
                    ]
                )
            )
            for member in missing
        ]
        await asyncio.to_thread(files.write, outcomes)
        return await asyncio.to_thread(files.close)

    async def _group_as_of(self, job: ExportJob) -> StoredVersion | None:
        """The job's Group as it was at the transaction time (None if it did not exist)."""
        assert job.group is not None
        version = await self.store.read("Group", job.group)
        while version is not None and version.last_updated > job.transaction_time:
            if version.version <= 1:
                return None
            version = await self.store.vread("Group", job.group, version.version - 1)
        return None if version is None or version.deleted else version

    async def _export_type(
        self, job: ExportJob, resource_type: str, chosen: Selection, files: TypeFiles
    ) -> bool:
        """Write one type; False when the job was cancelled meanwhile."""
        loop = asyncio.get_running_loop()
        reported = loop.time()
        after: str | None = None
        while True:
            page = await self.records.read_as_of(resource_type, job.transaction_time, after, PAGE)
            if page.versions:
                # Off the loop: a confined or Group export parses every resource it tests.
                job.done += await asyncio.to_thread(_write_page, page.versions, chosen, files)
            if loop.time() - reported >= PROGRESS_S:
                reported = loop.time()
                if not await self.records.replace_job(job.record()):
                    return False
            if page.next_after is None:
                return True
            after = page.next_after

    async def _sweep_loop(self) -> None:
        # Often enough to take over a dead server's job soon after its lease expires.
        interval = min(self.config.sweep_interval_s, self.config.lease_s / 2)
        while True:
            try:
                await self.sweep()
                await self.adopt()
            except Exception:
                log.exception("Export: expiry sweep failed")
            await asyncio.sleep(interval)

    async def sweep(self) -> int:
        """Delete the jobs past their expiry, and their files; return how many."""
        now = now_us()
        expired = [
            record.id
            for record in await self.records.jobs((State.COMPLETED, State.FAILED))
            if (expires := ExportJob.from_record(record).expires) is not None and expires <= now
        ]
        for job_id in expired:
            await self.cancel(job_id)
        return len(expired)


def _write_page(versions: list[StoredVersion], chosen: Selection, files: TypeFiles) -> int:
    bodies = [v.body for v in versions if v.body is not None and chosen.keeps(v)]
    files.write(bodies)
    return len(bodies)


def export_config(settings: Settings) -> ExportConfig:
    """The export options of ``settings``; the folder beside a SQLite store by default."""
    folder = settings.export_dir
    if folder is None and settings.store.startswith("sqlite:///"):
        folder = Path(sqlite_path_from_url(settings.store)).parent / "exports"
    return ExportConfig(
        folder=folder or Path("data/exports"),
        retention_s=settings.export_retention,
        max_jobs=settings.export_max_jobs,
        file_max_bytes=settings.export_file_max_bytes,
    )


@asynccontextmanager
async def exports_running(
    store: Store, settings: Settings, base_urls: tuple[str, ...]
) -> AsyncIterator[Exporter]:
    """The exporter of an open store, its unfinished jobs resumed, for the block."""
    records = await open_bulk_records(store)
    exporter = Exporter(store, records, export_config(settings), base_urls)
    await exporter.start()
    try:
        yield exporter
    finally:
        await exporter.close()
        await records.close()

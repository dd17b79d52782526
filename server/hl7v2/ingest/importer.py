"""Import archives of HL7v2 messages: ``fhirport hl7 import PATH...``.

Paths are files, folders (every file below, in name order) or globs. A file may hold
many messages, MLLP-framed messages or FHS/BHS batches (hl7.batch). Messages are
applied in the order they are read; parse and map run in worker processes with
``workers > 1``; writes all go through the one store, several messages in flight at
once (group commit) but in arrival order per resource (ingest_schedule).

Resumable: every applied message is in the ledger with its resources, atomically, so
a run that was killed part-way and started again skips what it already applied (they
are reported ``duplicate``) and applies the rest; nothing is applied twice.
"""

from __future__ import annotations

import asyncio
import gc
import glob
import os
import re
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

import orjson

from hl7.batch import RawMessage, read_messages
from mappers.config import MappingConfig
from server.gc_settle import settled
from server.hl7v2.ingest.import_worker import spawning, start_worker
from server.hl7v2.ingest.model import IngestOutcome, Prepared
from server.hl7v2.ingest.prepare import prepare
from server.hl7v2.ingest.report import ImportReport, message_record
from server.hl7v2.ingest.schedule import MessageKeys, OrderedScheduler
from server.hl7v2.ingest.service import Ingestor, OutOfScope
from server.settings import Settings
from server.storage.factory import store_from_url
from server.storage.port import LedgerEntry, Store

T = TypeVar("T")

_IN_FLIGHT = 512  # messages applied concurrently: enough to fill a group commit
_CHUNK = 128  # messages per worker task
# The first task's messages; each next task has twice as many, up to _CHUNK. Nothing is
# applied before the first task is back, and the workers' first messages are their
# slowest (nothing validated yet).
_FIRST_CHUNK = 16
# Garbage collection thresholds while importing (see ``bulk_collection``).
_IMPORT_GC_THRESHOLDS = (200_000, 20, 100)


class NoInput(ValueError):
    """A path or glob that names no file."""


@dataclass(frozen=True, slots=True)
class Located:
    """A raw message and where it was read from."""

    path: Path
    raw: RawMessage


def expand_paths(patterns: Sequence[str]) -> list[Path]:
    """Return the files that paths, folders and globs name, in order, each once."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        elif path.is_file():
            matches = [path]
        else:
            matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
            matches = [p for p in matches if p.is_file()]
        if not matches:
            raise NoInput(f"{pattern}: no such file, folder or matching file")
        found.update(dict.fromkeys(matches))
    return list(found)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def read_all(files: Sequence[Path]) -> Iterator[Located]:
    """Yield every message of every file, in order."""
    for path in files:
        for raw in read_messages(path):
            yield Located(path, raw)


def prepare_chunk(chunk: list[bytes], config: MappingConfig) -> list[Prepared]:
    """Parse, map and validate a list of messages (runs in a worker process)."""
    return [prepare(data, config, validate=True) for data in chunk]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to import: ``fhirport hl7 import``'s options."""

    dry_run: bool = False
    workers: int = 1  # processes that parse, map and validate; 1 = in this process
    dead_letter: Path | None = None  # where refused messages are copied, with the reason
    out_of_scope: OutOfScope = "reject"  # the ACK of a message type fhirport does not map
    vocabulary: Path | None = None  # the senders' local codes (server.hl7v2.vocabulary_file)
    on_message: Callable[[str, int], None] = lambda outcome, size: None  # progress, bytes


class Importer:
    """Imports files into the store behind an Ingestor."""

    def __init__(
        self,
        ingestor: Ingestor,
        options: ImportOptions | None = None,
        pool: Executor | None = None,
    ) -> None:
        """``pool``: the workers to prepare messages in (their owner shuts them down);
        without it, ``options.workers`` of the import's own."""
        self.ingestor = ingestor
        self.options = options or ImportOptions()
        self.pool = pool

    async def run(self, files: Sequence[Path]) -> ImportReport:
        """Import every message of ``files``; return the report."""
        report = ImportReport(dry_run=self.options.dry_run, files=[str(f) for f in files])
        scheduler = OrderedScheduler(_IN_FLIGHT)
        message_keys = MessageKeys()
        # Outcomes are recorded in input order, as soon as the oldest message is done.
        running: deque[tuple[Located, asyncio.Task[IngestOutcome]]] = deque()
        executor = self.pool or worker_pool(self.options.workers)
        try:
            async for located, prepared in self._prepared(read_all(files), executor):
                job = partial(self._apply, located, prepared)
                running.append((located, await scheduler.submit(message_keys(prepared), job)))
                while running and running[0][1].done():
                    self._record(report, *running.popleft())
            while running:
                located, task = running.popleft()
                await task
                self._record(report, located, task)
        finally:
            if executor is not None and executor is not self.pool:
                executor.shutdown(cancel_futures=True)
        report.finish()
        return report

    def _record(
        self, report: ImportReport, located: Located, task: asyncio.Task[IngestOutcome]
    ) -> None:
        outcome = task.result()
        report.add(message_record(str(located.path), located.raw.index, outcome))
        folder = self.options.dead_letter
        if folder is not None and outcome.outcome.refused:
            dead_letter(folder, located, outcome)

    async def _apply(self, located: Located, prepared: Prepared) -> IngestOutcome:
        outcome = await self.ingestor.ingest_prepared(prepared, dry_run=self.options.dry_run)
        self.options.on_message(outcome.outcome.value, len(located.raw.data))
        return outcome

    async def _prepared(
        self, messages: Iterator[Located], executor: Executor | None
    ) -> AsyncIterator[tuple[Located, Prepared]]:
        """Yield each message prepared, in input order (in workers when there is a pool)."""
        config = self.ingestor.config
        if executor is None:
            for count, located in enumerate(messages, 1):
                yield located, prepare(located.raw.data, config)
                if count % _CHUNK == 0:
                    await asyncio.sleep(0)  # let the submitted messages reach the store
            return
        work = partial(prepare_chunk, config=config)
        async for pair in in_workers(messages, work, executor, 2 * self.options.workers):
            yield pair


def worker_pool(workers: int, *, bulk_import: bool = True) -> Executor | None:
    """Processes for CPU work on messages (parse, map), or None to work in this one.

    ``bulk_import``: the workers of an import (``import_worker.start_worker``).
    """
    if workers <= 1:
        return None
    # forkserver: workers start from a clean process, not a copy of one running threads.
    return ProcessPoolExecutor(
        workers,
        mp_context=get_context("forkserver"),
        initializer=start_worker,
        initargs=(os.getpid(), bulk_import),
    )


async def in_workers(
    messages: Iterator[Located],
    work: Callable[[list[bytes]], list[T]],
    executor: Executor,
    window: int,
) -> AsyncIterator[tuple[Located, T]]:
    """Yield each message with what ``work`` made of it in a worker, in input order.

    Messages go in chunks, small ones first (``_batched``); at most ``window`` chunks are
    in the workers at once.
    """
    loop = asyncio.get_running_loop()
    pending: deque[tuple[list[Located], asyncio.Future[list[T]]]] = deque()
    for chunk in _batched(messages, _FIRST_CHUNK, _CHUNK):
        data = [located.raw.data for located in chunk]
        pending.append((chunk, loop.run_in_executor(executor, work, data)))
        if len(pending) > window:
            for pair in await _ready(pending.popleft()):
                yield pair
    while pending:
        for pair in await _ready(pending.popleft()):
            yield pair


def dead_letter(folder: Path, located: Located, outcome: IngestOutcome) -> None:
    """Copy a refused message, and a JSON file saying why, into the dead-letter folder."""
    folder.mkdir(parents=True, exist_ok=True)
    control = _SAFE.sub("_", outcome.header.control_id)[:64]
    stem = f"{_SAFE.sub('_', located.path.stem)}-{located.raw.index:06d}-{control}"
    (folder / f"{stem}.hl7").write_bytes(located.raw.data)
    reason = {
        "file": str(located.path),
        "index": located.raw.index,
        "offset": located.raw.offset,
        "control_id": outcome.header.control_id,
        "message_type": outcome.header.message_type,
        "outcome": outcome.outcome.value,
        "ack_code": outcome.ack_code,
        "reason": outcome.reason,
        "error_code": outcome.error_code,
        "error_location": outcome.error_location,
    }
    (folder / f"{stem}.json").write_bytes(orjson.dumps(reason, option=orjson.OPT_INDENT_2))


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def _batched(items: Iterator[Located], first: int, largest: int) -> Iterator[list[Located]]:
    """Chunks of ``first`` items, then each twice the size of the one before, up to
    ``largest``; the last one holds what is left."""
    chunk: list[Located] = []
    size = first
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
            size = min(2 * size, largest)
    if chunk:
        yield chunk


async def _ready(
    pair: tuple[list[Located], asyncio.Future[list[T]]],
) -> list[tuple[Located, T]]:
    chunk, future = pair
    return list(zip(chunk, await future, strict=True))


@asynccontextmanager
async def opened_store(store_url: str) -> AsyncIterator[Store]:
    """Open the store a URL names for the length of the block."""
    store = store_from_url(store_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def run_import(
    files: Sequence[Path], store_url: str, options: ImportOptions | None = None
) -> ImportReport:
    """Open the store at ``store_url``, import ``files`` into it, close it; return the report.

    The garbage collector collects less often meanwhile (``bulk_collection``), and
    leaves alone what is loaded when the import starts (``frozen``). The FHIR models are
    loaded and left alone too (``settle``) only when this process validates what it
    maps (no workers); workers settle when they start, which they do while the store
    opens (``spawning``).
    """
    options = options or ImportOptions()
    pool = worker_pool(options.workers)
    try:
        with spawning(pool, options.workers):
            # Imported here: worker processes import this module, and need none of the server.
            from server.runtime import open_runtime

            settings = Settings(
                store=store_url, out_of_scope=options.out_of_scope, hl7_vocab=options.vocabulary
            )
            with settled() if options.workers <= 1 else frozen(), bulk_collection():
                async with open_runtime(settings, bulk_import=True) as runtime:
                    return await Importer(runtime.ingestor, options, pool).run(files)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


@contextmanager
def frozen() -> Iterator[None]:
    """Exempt what is loaded now from garbage collection for the length of the block."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def bulk_collection() -> Iterator[None]:
    """Collect garbage less often for the length of the block (an import).

    An import keeps a thousand or so messages in flight (unpickled from the workers, then
    planned and indexed), each for a good part of a second, and every collection walks
    the young ones among them again, holding the lock the store's writer thread waits
    for. At the default thresholds that was a noticeable share of the importing process's
    CPU (bench/RESULTS.md). Reference counting frees everything else as before.
    """
    previous = gc.get_threshold()
    gc.set_threshold(*_IMPORT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


async def ledger_lookup(store_url: str, sender: str, control_id: str) -> LedgerEntry | None:
    """Return what the ledger at ``store_url`` holds about one message."""
    async with opened_store(store_url) as store:
        return await store.ledger_get(sender, control_id)

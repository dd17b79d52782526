"""One import run: every file, in order, on a runtime under lenient referential integrity."""

from __future__ import annotations

import asyncio
import gc
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from server.errors import FhirError
from server.fhir.validation import parse_json_object
from server.fhir_import.check import Checked, check_lines
from server.fhir_import.documents import apply_document
from server.fhir_import.report import FileReport, ImportReport
from server.fhir_import.sources import is_ndjson, read_document, read_lines
from server.fhir_import.upsert import LineResult, Upserter
from server.gc_settle import settled
from server.hl7v2.ingest.importer import worker_pool
from server.runtime import Runtime, open_runtime
from server.settings import Settings

CHUNK = 500  # lines validated together and written in one store transaction
_WINDOW = 4  # chunks in the workers at once
_IMPORT_GC_THRESHOLDS = (200_000, 20, 100)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    dry_run: bool = False
    dead_letter: Path | None = None
    workers: int = 2
    keep_lines: bool = True  # each line's outcome in the report, not only totals
    on_progress: Callable[[str, int], None] | None = None  # each line: outcome, bytes read


async def run_import(files: list[Path], store_url: str, options: ImportOptions) -> ImportReport:
    """Import ``files`` into the store ``store_url``; the report of what happened."""
    settings = Settings(
        store=store_url, audit="off", auth="none", seed=False, referential_integrity="lenient"
    )
    report = ImportReport(options.dry_run, options.keep_lines, options.dead_letter)
    executor = worker_pool(options.workers)
    try:
        with settled(), _fewer_collections():
            async with open_runtime(settings, bulk_import=True) as runtime:
                upserter = Upserter(runtime, dry_run=options.dry_run)
                for path in files:
                    if is_ndjson(path):
                        await _ndjson(path, upserter, report, executor, options)
                    else:
                        await _document(path, runtime, upserter, report, options)
                report.dangling = await upserter.still_dangling()
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    return report


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect garbage less often during the run: the chunks in flight are many young
    objects that every collection would walk again (as for the HL7v2 importer)."""
    previous = gc.get_threshold()
    gc.set_threshold(*_IMPORT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _chunks(path: Path) -> Iterator[list[tuple[int, bytes]]]:
    lines = read_lines(path)
    while chunk := list(islice(lines, CHUNK)):
        yield chunk


async def _ndjson(
    path: Path,
    upserter: Upserter,
    report: ImportReport,
    executor: Executor | None,
    options: ImportOptions,
) -> None:
    file = report.start(path, "ndjson")
    loop = asyncio.get_running_loop()
    pending: deque[tuple[list[tuple[int, bytes]], asyncio.Future[list[Any]]]] = deque()

    async def settle() -> None:
        chunk, checking = pending.popleft()
        await _apply_chunk(chunk, await checking, upserter, report, file, path, options)

    for chunk in _chunks(path):
        raws = [raw for _, raw in chunk]
        if executor is None:
            checking: asyncio.Future[list[Any]] = loop.create_future()
            checking.set_result(check_lines(raws, upserter.base_urls))
        else:
            checking = loop.run_in_executor(executor, check_lines, raws, upserter.base_urls)
        pending.append((chunk, checking))
        if len(pending) > _WINDOW:
            await settle()
    while pending:
        await settle()


async def _apply_chunk(
    chunk: list[tuple[int, bytes]],
    answers: list[Checked | dict[str, Any]],
    upserter: Upserter,
    report: ImportReport,
    file: FileReport,
    path: Path,
    options: ImportOptions,
) -> None:
    passed = [
        (orjson.loads(raw), answer)
        for (_, raw), answer in zip(chunk, answers, strict=True)
        if isinstance(answer, Checked)
    ]
    applied = iter(await upserter.apply([r for r, _ in passed], [e for _, e in passed]))
    for (number, raw), answer in zip(chunk, answers, strict=True):
        if isinstance(answer, Checked):
            result = next(applied)
        else:
            result = LineResult("rejected", detail=answer)
        report.record(file, path, number, result, raw)
        if options.on_progress is not None:
            options.on_progress(result.outcome, len(raw) + 1)


async def _document(
    path: Path,
    runtime: Runtime,
    upserter: Upserter,
    report: ImportReport,
    options: ImportOptions,
) -> None:
    file = report.start(path, "document")
    raw = await asyncio.to_thread(read_document, path)
    try:
        document = parse_json_object(raw)
    except FhirError as exc:
        results = [LineResult("rejected", detail=exc.outcome())]
    else:
        results = await apply_document(runtime, upserter, document)
    for number, result in enumerate(results, start=1):
        report.record(file, path, number, result, None)
        if options.on_progress is not None:
            options.on_progress(result.outcome, len(raw) if number == 1 else 0)
    if any(r.outcome == "rejected" for r in results):
        report.copy_document(path, raw)

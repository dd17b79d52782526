"""Release benchmark (not a test): ``$release`` of a patient with 5,000 records in scope.

    .venv/bin/python -m bench.release [--resources 5000] [--runs 5]

Loads one patient's chart (claims of 2022-2025, one in 13 labelled 42 CFR Part 2, and
coverages; ``tests/consent/bench_decisions.chart``) and the three Consents with nested
provisions of ``three_consents`` into a fresh SQLite store, straight through the indexer
and ``Store.write``. Then, per run, files a new ROI Task through the ResourceService and
times ``release()`` as ``POST Task/{id}/$release`` runs it minus HTTP: the compartment
read page by page, every decision, the Bundle, and the one write of Task, Bundle,
AuditEvent and Provenance (fsync included). Two requests: an insurer for payment
(``HPAYMT``, Claim and Coverage of 2022-2025) and the patient's own (``PATRQT``).

Memory: one more run under tracemalloc gives the peak of Python allocations during the
release, printed next to the size of the stored Bundle; the process's peak RSS is printed
at the end. Target (issue 5): under 2 s, memory not growing beyond the Bundle itself.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from server.consent import codes as c
from server.fhir.clock import now_us
from server.interactions import ResourceService
from server.roi import WRITE_RULES
from server.roi.release import release
from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.store import SqliteStore
from server.versions import stamp
from tests.consent.bench_decisions import chart, three_consents
from tests.consent.factories import (
    INSURER,
    LAW_FIRM,
    PATIENT_ID,
    PATIENT_REF,
    make_patient_record,
)
from tests.roi.factories import make_roi_task

BASE = "http://localhost:8080/fhir"
BATCH = 1000
IN_SCOPE = ("Claim", "Coverage")


def records(size: int) -> list[dict[str, Any]]:
    """``size`` claims and coverages of the bench chart (its notes are not a held type)."""
    found: list[dict[str, Any]] = []
    scale = size
    while len(found) < size:
        scale += size // 4 + 1
        found = [r for r in chart(scale) if r["resourceType"] in IN_SCOPE]
    return found[:size]


async def load(store: SqliteStore, resources: list[dict[str, Any]]) -> None:
    indexer = partial(extract_index, base_urls=(BASE,))
    for start in range(0, len(resources), BATCH):
        writes = []
        for item in resources[start : start + BATCH]:
            updated = now_us()
            body = stamp(item, item["id"], 1, updated)
            version = StoredVersion(item["resourceType"], item["id"], 1, updated, Method.PUT, body)
            writes.append(Write(version, 0, indexer(item)))
        await store.write(writes)


async def one_release(service: ResourceService, task: dict[str, Any]) -> tuple[float, int, int]:
    """File the Task and release it; return seconds, released count, Bundle bytes."""
    created = await service.create("Task", orjson.loads(orjson.dumps(task)))
    started = time.perf_counter()
    outcome = await release(service, created.version.id, BASE)
    seconds = time.perf_counter() - started
    if "release" not in outcome.records:  # rejected: nothing released, no Bundle
        return seconds, 0, 0
    bundle_ref = outcome.records["release"].split("/")[1]
    stored = await service.store.read("Bundle", bundle_ref)
    assert stored is not None
    assert stored.body is not None
    return seconds, outcome.selection.released_total, len(stored.body)


async def bench(size: int, runs: int, folder: Path) -> None:
    store = SqliteStore(folder / "release.sqlite3")
    await store.open()
    try:
        chart_records = records(size)
        await load(store, [make_patient_record(), *three_consents(with_code=False), *chart_records])
        indexer = partial(extract_index, base_urls=(BASE,))
        service = ResourceService(store, indexer, SearchEngine(store, (BASE,)), WRITE_RULES)
        requests = {
            "insurer HPAYMT Claim+Coverage 2022-2025": make_roi_task(
                PATIENT_ID,
                c.HPAYMT,
                INSURER,
                types=IN_SCOPE,
                period=("2022-01-01", "2025-12-31"),
            ),
            "patient PATRQT (everything)": make_roi_task(PATIENT_ID, c.PATRQT, PATIENT_REF),
            "attorney HLEGAL, no authorization (all denied)": make_roi_task(
                PATIENT_ID, c.HLEGAL, LAW_FIRM, types=IN_SCOPE
            ),
        }
        print(f"{len(chart_records)} claims and coverages in scope, 3 consents, SQLite store")
        for name, task in requests.items():
            timings = []
            for _ in range(runs):
                seconds, released, size_bytes = await one_release(service, task)
                timings.append(seconds)
            tracemalloc.start()
            await one_release(service, task)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"  {name}: median {statistics.median(timings) * 1000:.0f} ms, "
                f"best {min(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} ms "
                f"({runs} runs); released {released}; Bundle {size_bytes / 1e6:.1f} MB; "
                f"traced peak {peak / 1e6:.1f} MB"
                + (f" ({peak / size_bytes:.1f}x the Bundle)" if size_bytes else "")
            )
    finally:
        await store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench(args.resources, args.runs, Path(folder)))


if __name__ == "__main__":
    main()

"""Bulk data throughput: ``fhirport fhir import`` and ``$export`` (not a test).

    .venv/bin/python -m bench.bulk [--patients 50000] [--workers 2] [--keep DIR]

Writes ndjson files of ``--patients`` patients, each with a coverage and two
appointments (four resources a patient, plus an organization and a practitioner per
500 patients), imports them into a fresh SQLite store with ``fhirport fhir import`` (a
subprocess, exactly as a user runs it: validation in worker processes, batches of
upserts), then exports that store with the server's exporter in a process of its own
and reports its rate and its peak resident memory (``ru_maxrss`` of that process). The
import's CPU is reported too (the importing process, its workers), and the rate that
CPU allows on two cores of its own: on a machine shared with other work, wall time
says more about the neighbours than about the import.
Targets (issue #16): import >= 3,000 resources/s; export >= 20,000 resources/s with
peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

PER_STAFF = 500


def _patient(n: int, rng: random.Random) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": f"p{n}",
        "identifier": [{"system": "urn:mrn", "value": f"MRN{n}"}],
        "name": [{"family": rng.choice(("Smith", "Nguyen", "Garcia", "Okafor")), "given": ["A"]}],
        "gender": rng.choice(("male", "female")),
        "birthDate": f"{rng.randint(1930, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }


def _coverage(n: int) -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": f"c{n}",
        "status": "active",
        "subscriberId": f"S{n}",
        "beneficiary": {"reference": f"Patient/p{n}"},
        "payor": [{"reference": f"Organization/o{n // PER_STAFF}"}],
    }


def _appointment(n: int, k: int, rng: random.Random) -> dict[str, Any]:
    day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "resourceType": "Appointment",
        "id": f"a{n}-{k}",
        "status": rng.choice(("booked", "fulfilled", "cancelled")),
        "start": f"{day}T09:00:00Z",
        "end": f"{day}T09:30:00Z",
        "participant": [
            {"actor": {"reference": f"Patient/p{n}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/pr{n // PER_STAFF}"}, "status": "accepted"},
        ],
    }


def write_files(patients: int, folder: Path) -> int:
    """Write the data set as one ndjson file per type; return how many resources."""
    rng = random.Random(16)
    staff = patients // PER_STAFF + 1
    written = 0
    with (
        (folder / "Organization.ndjson").open("wb") as orgs,
        (folder / "Practitioner.ndjson").open("wb") as people,
    ):
        for s in range(staff):
            orgs.write(
                orjson.dumps({"resourceType": "Organization", "id": f"o{s}", "name": f"Payer {s}"})
                + b"\n"
            )
            people.write(
                orjson.dumps(
                    {
                        "resourceType": "Practitioner",
                        "id": f"pr{s}",
                        "name": [{"family": f"Doc{s}"}],
                    }
                )
                + b"\n"
            )
            written += 2
    with (
        (folder / "Patient.ndjson").open("wb") as pats,
        (folder / "Coverage.ndjson").open("wb") as covs,
        (folder / "Appointment.ndjson").open("wb") as appts,
    ):
        for n in range(patients):
            pats.write(orjson.dumps(_patient(n, rng)) + b"\n")
            covs.write(orjson.dumps(_coverage(n)) + b"\n")
            for k in range(2):
                appts.write(orjson.dumps(_appointment(n, k, rng)) + b"\n")
            written += 4
    return written


def _import(folder: Path, store: str, workers: int) -> dict[str, Any]:
    """Run the import (what ``fhirport fhir import`` runs) and time it, CPU included."""
    from bench.process_cpu import DescendantsCpu
    from server.fhir_import.run import ImportOptions, run_import
    from server.fhir_import.sources import expand_paths

    files = expand_paths([str(folder)])
    started, cpu = time.perf_counter(), time.process_time()
    with DescendantsCpu() as workers_cpu:
        report = asyncio.run(
            run_import(files, store, ImportOptions(workers=workers, keep_lines=False))
        )
    return {
        "seconds": time.perf_counter() - started,
        "main_cpu": time.process_time() - cpu,
        "workers_cpu": workers_cpu.seconds,
        "summary": report.summary(),
    }


def time_import(folder: Path, store: str, workers: int) -> dict[str, Any]:
    """Import in a process of its own (as the command would run); its timings."""
    command = [
        sys.executable,
        "-m",
        "bench.bulk",
        "--import-only",
        str(folder),
        "--store",
        store,
        "--workers",
        str(workers),
    ]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr.decode())
    result: dict[str, Any] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def _describe_import(total: int, timed: dict[str, Any]) -> str:
    main_cpu, workers_cpu = timed["main_cpu"], timed["workers_cpu"]
    # On two cores of its own: the importing process on one, the workers beside it.
    bound = max(main_cpu, (main_cpu + workers_cpu) / 2)
    return (
        f"{total:,} resources in {timed['seconds']:.1f} s = {total / timed['seconds']:,.0f}/s "
        f"wall; CPU: importing process {main_cpu:.1f} s, workers {workers_cpu:.1f} s "
        f"(= {total / bound:,.0f}/s on two free cores); {timed['summary']}"
    )


async def _export(store_url: str, out: Path) -> dict[str, Any]:
    from server.bulk.job import ExportJob, State
    from server.bulk.request import Level, parse_export
    from server.bulk.runner import SETTLE_S, ExportConfig, Exporter
    from server.fhir.clock import now_us
    from server.storage.factory import open_bulk_records, store_from_url

    store = store_from_url(store_url)
    await store.open()
    try:
        records = await open_bulk_records(store)
        config = ExportConfig(out, 3600, 1, 256 * 1024 * 1024)
        exporter = Exporter(store, records, config, ("http://bench/fhir",))
        asked = parse_export(Level.SYSTEM, None, (), lenient=False)
        job = ExportJob.new(exporter.new_id(), asked, "http://bench/fhir/$export", now_us(), None)
        await exporter.start()
        started = time.perf_counter()
        await exporter.submit(job)
        while True:
            current = await exporter.job(job.id)
            if current is not None and current.state in (State.COMPLETED, State.FAILED):
                break
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - started - SETTLE_S
        await exporter.cancel(job.id)  # its files are deleted
        await exporter.close()
        await records.close()
    finally:
        await store.close()
    return {
        "state": current.state,
        "resources": current.done,
        "files": len(current.output),
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def alias_resources(store: str, copies: int) -> int:
    """Give every resource ``copies`` more ids sharing its stored versions; return the total.

    The export reads only the ``resource`` and ``version`` tables, so this makes a large
    store to export in seconds, where importing it would take most of an hour.
    """
    import sqlite3

    from server.storage.sqlite.store import sqlite_path_from_url

    with sqlite3.connect(sqlite_path_from_url(store)) as conn:
        for k in range(1, copies + 1):
            conn.execute(
                "INSERT INTO resource (type, id, version, seq, deleted, updated) "
                "SELECT type, id || ?, version, seq, deleted, updated FROM resource "
                "WHERE id NOT LIKE '%~%'",
                (f"~{k}",),
            )
        total = int(conn.execute("SELECT count(*) FROM resource").fetchone()[0])
    conn.close()
    return total


def time_export(store: str, out: Path) -> dict[str, Any]:
    """Run the export in a process of its own: its peak memory is the export's."""
    command = [sys.executable, "-m", "bench.bulk", "--export-only", store, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, check=True)
    result: dict[str, Any] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--export-copies",
        type=int,
        default=0,
        help="before exporting, alias every resource this many more times (a larger export)",
    )
    parser.add_argument("--skip-import", action="store_true", help="reuse --keep's store")
    parser.add_argument("--export-only", metavar="STORE", help=argparse.SUPPRESS)
    parser.add_argument("--import-only", type=Path, metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:
        print(orjson.dumps(asyncio.run(_export(args.export_only, args.out))).decode())
        return
    if args.import_only:
        print(orjson.dumps(_import(args.import_only, args.store, args.workers)).decode())
        return
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        (work / "in").mkdir(parents=True, exist_ok=True)
        store = f"sqlite:///{work / 'bulk.sqlite3'}"
        if not args.skip_import:
            total = write_files(args.patients, work / "in")
            for label in ("import (target >= 3,000/s)", "import again, all unchanged"):
                timed = time_import(work / "in", store, args.workers)
                print(f"{label}: {_describe_import(total, timed)}")
        if args.export_copies:
            print(f"{alias_resources(store, args.export_copies):,} resources to export")
        exported = time_export(store, work / "exports")
        rate = exported["resources"] / exported["seconds"]
        print(
            f"export: {exported['resources']:,} resources in {exported['seconds']:.1f} s = "
            f"{rate:,.0f}/s (target >= 20,000/s), {exported['files']} files, peak RSS "
            f"{exported['peak_rss_mb']:.0f} MB (target < 300 MB)"
        )


if __name__ == "__main__":
    main()

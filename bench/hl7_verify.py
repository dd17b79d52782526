"""``fhirport hl7 verify`` throughput on an imported archive (not a test).

    .venv/bin/python -m bench.hl7_verify [--messages 20000] [--workers 2] [--profile FILE]
        [--corpus [DIR]]

Generates the same messages as bench.hl7_ingest (or copies of the public corpus with
``--corpus``), imports them into a fresh SQLite store as ``fhirport hl7 import`` does
(not timed), then verifies the store against the files exactly as ``fhirport hl7
verify`` does: read, parse and map again, look up the ledger, compare with the stored
resources. Target: 2,000 messages/s on the 2-core machine.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.hl7_ingest import archive_parser, measured, write_archive
from mappers.config import MappingConfig
from server.hl7v2.ingest.importer import ImportOptions, run_import
from server.hl7v2.verify import run_verify


def main() -> None:
    args = archive_parser(__doc__.split("\n")[0], 20_000).parse_args()

    with tempfile.TemporaryDirectory(prefix="fhirport-bench-") as tmp:
        folder = Path(tmp)
        written, files = write_archive(args, folder)
        store = f"sqlite:///{folder / 'bench.sqlite3'}"
        started = time.perf_counter()
        imported = asyncio.run(run_import(files, store, ImportOptions(workers=2)))
        print(
            f"imported {written} messages in {time.perf_counter() - started:.1f}s: "
            f"{imported.totals()['by_outcome']}"
        )
        with measured(args.profile) as run:
            report = asyncio.run(run_verify(files, store, MappingConfig(), workers=args.workers))
        totals = report.to_json()["totals"]
        print(
            f"verified (workers={args.workers}): {report.messages} messages in "
            f"{run.elapsed:.1f}s = {report.messages / run.elapsed:,.0f} messages/s"
        )
        print(run.cpu_line("verifying process", report.messages))
        print(
            f"checks {totals['checks']}: matched {totals['matched']}, explained "
            f"{totals['explained']}, mismatches {totals['mismatches']}; skipped {totals['skipped']}"
        )


if __name__ == "__main__":
    main()

"""HL7v2 ingest's planning of messages whose resources are all on file already (not a test).

    .venv/bin/python -m bench.hl7_replan [--messages 1500] [--rounds 5]

Imports the generated messages of bench.hl7_ingest into a fresh SQLite store (not timed),
then plans them all again as dry runs, one after another, in the same process: every
mapped resource is then unchanged, which is most of what an archive's messages map.
Reports the event loop thread's CPU a message, the best of ``--rounds`` passes after a
first one, with the ingestor as it is (``with``) and without its memo of unchanged
resources (``without``), alternating.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.hl7_ingest import generate
from server.hl7v2.ingest.importer import ImportOptions, expand_paths, read_all, run_import
from server.hl7v2.ingest.model import Prepared
from server.hl7v2.ingest.prepare import prepare
from server.hl7v2.ingest.service import Ingestor
from server.runtime import open_runtime
from server.settings import Settings


class _Forgetful:
    """A memo of unchanged resources that remembers nothing."""

    @staticmethod
    def key(*_: object) -> bytes:
        return b""

    def __contains__(self, key: bytes) -> bool:
        return False

    def add(self, key: bytes) -> None:
        pass


async def _plan_all(ingestor: Ingestor, prepared: list[Prepared]) -> None:
    for message in prepared:
        await ingestor.apply(message, dry_run=True)


async def _replan(store: str, files: list[Path], memo: bool, rounds: int) -> float:
    """The event loop thread's CPU a message, best of ``rounds`` passes."""
    async with open_runtime(Settings(store=store), bulk_import=True) as runtime:
        ingestor = runtime.ingestor
        if not memo:
            ingestor.unchanged = _Forgetful()  # type: ignore[assignment]
        prepared = [prepare(m.raw.data, ingestor.config, validate=True) for m in read_all(files)]
        await _plan_all(ingestor, prepared)
        best = float("inf")
        for _ in range(rounds):
            started = time.thread_time()
            await _plan_all(ingestor, prepared)
            best = min(best, time.thread_time() - started)
        return best / len(prepared)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--alternations", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fhirport-bench-") as tmp:
        folder = Path(tmp)
        written = generate(args.messages, folder / "in")
        files = expand_paths([str(folder / "in")])
        store = f"sqlite:///{folder / 'bench.sqlite3'}"
        asyncio.run(run_import(files, store, ImportOptions(workers=2)))
        print(f"imported {written} messages; planning them again as dry runs")
        for _ in range(args.alternations):
            for memo in (True, False):
                cpu = asyncio.run(_replan(store, files, memo, args.rounds))
                label = "with" if memo else "without"
                print(f"{label} the unchanged memo: {1e6 * cpu:.0f} µs event-loop CPU a message")


if __name__ == "__main__":
    main()

"""HL7v2 ingest throughput, end to end, against hl7apy's parse-only rate (not a test).

    .venv/bin/python -m bench.hl7_ingest [--messages 50000] [--workers 2] [--profile FILE]
        [--corpus [DIR]]

Generates varied ADT^A04/A28/A08/A31 (PID, PV1, IN1), SIU^S12/S14/S15/S17/S26 and
DFT^P03 (FT1, DG1, IN1) messages with the archive generator (fixtures/hl7v2), writes
them to files, and imports them into a fresh SQLite store exactly as
``fhirport hl7 import`` does: split, parse, map, resolve, validate, upsert, ledger.
Then it times hl7apy's ``parse_message`` (default arguments, as a naive ingest would
call it) over a sample of the same messages. Target: 1,000 messages/s end to end on
the 2-core machine, 30x hl7apy's parse-only rate or more.

With ``--corpus`` the messages are instead copies of the public corpus's ADT^A04,
ADT^A08, SIU^S12 and DFT^P03 messages, each with identities of its own
(bench/corpus_variants.py): the same pipeline on messages some ten times denser. The
corpus is the one in fixtures/hl7v2/corpus unless a DIR is given.
CPU is reported for the importing process and, separately, for its workers.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "hl7v2"))

import archivegen

from bench.corpus_variants import CORPUS, write_variants
from bench.process_cpu import DescendantsCpu
from hl7.batch import split_messages
from server.hl7v2.ingest.importer import ImportOptions, expand_paths, run_import

MESSAGES_PER_PATIENT = 5.3  # registration, update, 1-2 appointment events, 1-2 charges


def generate(target: int, out: Path) -> int:
    """Write about ``target`` messages to ``out``; return how many were written."""
    rng = random.Random(archivegen.SEED)
    archive = archivegen.Archive(rng)
    everyone = archivegen.people(rng, int(target / MESSAGES_PER_PATIENT) + 1)
    archivegen.registrations(archive, everyone)
    archivegen.schedule(archive, everyone)
    archivegen.charges(archive, everyone)
    archivegen.updates(archive, everyone)
    return archivegen.write(archive, out)


def hl7apy_rate(files: list[Path], sample: int) -> float:
    """Messages per second of hl7apy's parse_message over ``sample`` of the messages."""
    from hl7apy.parser import parse_message

    texts = [
        m.data.replace(b"\n", b"\r").decode()
        for path in files
        for m in split_messages(path.read_bytes())[: sample // len(files) + 1]
    ][:sample]
    started = time.perf_counter()
    for text in texts:
        parse_message(text)
    return len(texts) / (time.perf_counter() - started)


def cpu_seconds() -> float:
    """User and system CPU time of this process, all threads (the store's writer too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def archive_parser(description: str, messages: int) -> argparse.ArgumentParser:
    """The options of a benchmark on generated (or corpus) messages: how many, workers,
    a profile file, ``--corpus``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--messages", type=int, default=messages)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the run here")
    parser.add_argument(
        "--corpus",
        type=Path,
        nargs="?",
        const=CORPUS,
        help=f"copy this corpus's messages instead (default folder: {CORPUS})",
    )
    return parser


def write_archive(args: argparse.Namespace, folder: Path) -> tuple[int, list[Path]]:
    """Write the messages the options ask for under ``folder``; return how many, and the files."""
    if args.corpus:
        written = write_variants(args.corpus, args.messages, folder / "in")
    else:
        written = generate(args.messages, folder / "in")
    return written, expand_paths([str(folder / "in")])


@dataclass(slots=True)
class Measured:
    """Wall-clock time and CPU (this process, its worker processes) of a block."""

    elapsed: float = 0.0
    cpu: float = 0.0
    workers: float = 0.0

    def cpu_line(self, process: str, messages: int) -> str:
        count = max(messages, 1)
        return (
            f"CPU: {process} {self.cpu:.1f}s = {1000 * self.cpu / count:.2f} ms/message; "
            f"workers {self.workers:.1f}s = {1000 * self.workers / count:.2f} ms/message"
        )


@contextmanager
def measured(profile: Path | None) -> Iterator[Measured]:
    """Measure the block (and write its cProfile stats to ``profile`` when given)."""
    found = Measured()
    profiler = cProfile.Profile() if profile else None
    started, cpu_before = time.perf_counter(), cpu_seconds()
    if profiler:
        profiler.enable()
    with DescendantsCpu() as workers_cpu:
        yield found
    if profiler and profile:
        profiler.disable()
        pstats.Stats(profiler).dump_stats(profile)
    found.elapsed = time.perf_counter() - started
    found.cpu = cpu_seconds() - cpu_before
    found.workers = workers_cpu.seconds


def main() -> None:
    parser = archive_parser(__doc__.split("\n")[0], 50_000)
    parser.add_argument("--hl7apy-sample", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fhirport-bench-") as tmp:
        folder = Path(tmp)
        written, files = write_archive(args, folder)
        size = sum(f.stat().st_size for f in files) / 1e6
        print(f"generated {written} messages ({size:.1f} MB) in {len(files)} files")
        store = f"sqlite:///{folder / 'bench.sqlite3'}"
        with measured(args.profile) as run:
            report = asyncio.run(run_import(files, store, ImportOptions(workers=args.workers)))
        totals = report.totals()
        rate = totals["messages"] / run.elapsed
        print(f"outcomes: {totals['by_outcome']}; resources: {totals['resources']}")
        print(
            f"end to end (workers={args.workers}): {totals['messages']} messages in "
            f"{run.elapsed:.1f}s = {rate:,.0f} messages/s"
        )
        print(run.cpu_line("importing process", totals["messages"]))
        apy = hl7apy_rate(files, args.hl7apy_sample)
        print(f"hl7apy parse_message only: {apy:,.1f} messages/s")
        print(f"ratio: {rate / apy:,.1f}x")


if __name__ == "__main__":
    main()

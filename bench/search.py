"""Search benchmark on the SQLite store (not a test): p50/p95 of the issue's queries.

    .venv/bin/python -m bench.search --patients 10000 --patients 100000

For each size it loads N patients with one coverage, two appointments and one claim
each (one practitioner per 500 patients) straight through the indexer and
``Store.append`` (batches of 5,000 new resources a transaction, no HTTP), then times each
query server-side: parse, SQL, includes and the Bundle serialized with orjson, as
``GET /fhir/...`` does minus the socket.
Databases are kept under ``--dir`` and reused when already loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson

from server.fhir.clock import now_us
from server.search.engine import SearchEngine, search_bundle
from server.search.extract import extract_index
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.schema import DDL
from server.storage.sqlite.store import SqliteStore
from server.versions import stamp

BASE = "http://localhost:8080/fhir"
SURNAMES = [
    f"{a}{b}{c}"
    for a in ("Sm", "Jo", "Wi", "Br", "Ga", "Mi", "Da", "Ro", "Ma", "He")
    for b in ("ith", "hn", "ll", "ow", "rc", "ll", "vi", "dr", "rt", "rn")
    for c in ("", "son", "ez", "er", "s")
]
BATCH = 5000
LOAD_CACHE_KIB = 1_048_576
LOAD_CHECKPOINT_PAGES = 20_000
PROGRESS_EVERY = 40  # batches
# Bumped whenever the generated data changes, so an older database is not reused.
DATA_VERSION = 2
PATIENTS_PER_PRACTITIONER = 500


def _patient(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:mrn", "value": f"MRN{i}"}],
        "name": [{"family": rng.choice(SURNAMES), "given": [rng.choice(("Ana", "Bo", "Cy"))]}],
        "gender": rng.choice(("male", "female")),
        "birthDate": f"{rng.randint(1930, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }


def practitioners(patients: int) -> int:
    """Staff grows with the practice: a practitioner's day holds a few appointments at
    any size, so the date+actor query returns about as many entries at every size."""
    return max(1, patients // PATIENTS_PER_PRACTITIONER)


def _related(i: int, rng: random.Random, staff: int) -> Iterator[dict[str, Any]]:
    patient = {"reference": f"Patient/p{i}"}
    yield {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": patient,
        "payor": [{"reference": f"Organization/org{i % 50}"}],
    }
    for _ in range(2):
        day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield {
            "resourceType": "Appointment",
            "status": "booked",
            "start": f"{day}T{rng.randint(8, 17):02d}:00:00Z",
            "end": f"{day}T{rng.randint(8, 17):02d}:30:00Z",
            "participant": [
                {"actor": patient, "status": "accepted"},
                {"actor": {"reference": f"Practitioner/pr{i % staff}"}, "status": "accepted"},
            ],
        }
    yield {
        "resourceType": "Claim",
        "status": rng.choice(("active", "cancelled")),
        "type": {"coding": [{"code": "professional"}]},
        "use": "claim",
        "patient": patient,
        "created": f"2024-{rng.randint(1, 12):02d}-01",
        "provider": {"reference": f"Organization/org{i % 50}"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/x"}}],
    }


def _write(resource: dict[str, Any], resource_id: str) -> Write:
    updated = now_us()
    body = stamp(resource, resource_id, 1, updated)
    version = StoredVersion(resource["resourceType"], resource_id, 1, updated, Method.PUT, body)
    return Write(version, 0, extract_index(resource, base_urls=(BASE,)))


def _resources(patients: int) -> Iterator[list[tuple[dict[str, Any], str]]]:
    """The data set in batches of (resource, id), drawn from one seeded generator so
    that every load holds the same resources, whatever prepares them."""
    rng = random.Random(7)
    batch: list[tuple[dict[str, Any], str]] = []
    staff = practitioners(patients)
    for i in range(patients):
        batch.append((_patient(i, rng), f"p{i}"))
        for n, resource in enumerate(_related(i, rng, staff)):
            batch.append((resource, f"{resource['resourceType'][:3].lower()}{i}-{n}"))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepared(batch: list[tuple[dict[str, Any], str]]) -> list[Write]:
    return [_write(resource, resource_id) for resource, resource_id in batch]


async def load(store: SqliteStore, patients: int) -> float:
    """Load the data set; return the seconds it took.

    Each batch goes in as new resources (``Store.append``: a few statements a batch
    instead of a few a resource) while the next one is prepared: SQLite's side of the
    write runs on the store's writer thread without the GIL, beside index extraction.
    (Extraction in worker processes was tried: sending the prepared writes back cost
    the loading process more than extracting them.)
    """
    started = time.perf_counter()
    await store.writer.submit(_defer_value_indexes)
    writing: asyncio.Task[None] | None = None
    for n, batch in enumerate(_resources(patients), 1):
        writes = _prepared(batch)
        if n % PROGRESS_EVERY == 0:
            done = n * BATCH
            print(f"  {done} resources, {done / (time.perf_counter() - started):.0f}/s", flush=True)
        if writing is not None:
            await writing
        writing = asyncio.create_task(store.append(writes))
        await asyncio.sleep(0)  # hand the batch to the writer thread before preparing on
    if writing is not None:
        await writing
    await store.writer.submit(_build_value_indexes)
    return time.perf_counter() - started


# The indexes on values (not on rid, which only grows): each batch would insert into
# them all over, so they are built once, sorted, at the end of the load, from the
# schema's own statements.
_VALUE_INDEXES = {
    match[1]: statement
    for statement in DDL
    if (match := re.match(r"CREATE INDEX IF NOT EXISTS (\w+) ON idx_", statement))
    and not match[1].endswith("_rid")
}


def _defer_value_indexes(conn: sqlite3.Connection) -> None:
    # Connection settings for the load alone: the pages a batch touches stay in memory,
    # and the write-ahead log is copied back less often.
    conn.execute(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
    conn.execute(f"PRAGMA wal_autocheckpoint={LOAD_CHECKPOINT_PAGES}")
    for name in _VALUE_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def _build_value_indexes(conn: sqlite3.Connection) -> None:
    for statement in _VALUE_INDEXES.values():
        conn.execute(statement)


def extraction_us(samples: int = 5000) -> float:
    """Microseconds to compute one Patient's index entries (every parameter, once per write)."""
    rng = random.Random(3)
    bodies = [_patient(i, rng) | {"id": f"p{i}"} for i in range(samples)]
    started = time.perf_counter()
    for body in bodies:
        extract_index(body, base_urls=(BASE,))
    return (time.perf_counter() - started) / samples * 1e6


def queries(patients: int, rng: random.Random) -> dict[str, Callable[[], str]]:
    """The issue's queries, each a function returning a fresh random instance."""

    def mrn() -> str:
        return f"MRN{rng.randrange(patients)}"

    return {
        "identifier": lambda: f"Patient?identifier=urn:mrn|{mrn()}",
        "family-prefix": lambda: f"Patient?family={rng.choice(SURNAMES)[:3]}",
        "birthdate-range": lambda: _birthdate_range(rng),
        "appointment-date-actor": lambda: (
            f"Appointment?date=2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            f"&actor=Practitioner/pr{rng.randrange(practitioners(patients))}"
        ),
        "chained-claim": lambda: f"Claim?patient.identifier=urn:mrn|{mrn()}",
        "revinclude": lambda: f"Patient?identifier=urn:mrn|{mrn()}&_revinclude=Claim:patient",
    }


def _birthdate_range(rng: random.Random) -> str:
    year = rng.randint(1930, 2019)
    return f"Patient?birthdate=ge{year}-03-01&birthdate=lt{year}-03-15"


async def measure(engine: SearchEngine, path: str) -> tuple[float, int]:
    """Milliseconds for one search, server-side, and how many entries it returned."""
    resource_type, _, query = path.partition("?")
    started = time.perf_counter()
    parsed = engine.parse(resource_type, parse_qsl(query), lenient=False)
    result = await engine.run(parsed)
    document = orjson.dumps(search_bundle(result, BASE, resource_type))
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, document.count(b'"fullUrl"')


def _fresh_partial(path: Path) -> Path:
    """The file a load goes to; renamed only when complete, so never measured half-full."""
    partial = path.with_suffix(".loading")
    for stale in path.parent.glob(f"{partial.name}*"):
        stale.unlink()
    return partial


async def prepare(patients: int, directory: Path) -> Path:
    """Return the database of ``patients``, loading it first unless a full load exists."""
    path = directory / f"search-{patients}-v{DATA_VERSION}.sqlite3"
    if path.exists():
        return path
    partial = _fresh_partial(path)
    store = SqliteStore(partial)
    await store.open()
    try:
        seconds = await load(store, patients)
    finally:
        await store.close()
    partial.rename(path)
    print(f"loaded {patients} patients ({patients * 5} resources) in {seconds:.0f} s", flush=True)
    return path


async def bench(patients: int, directory: Path, runs: int) -> dict[str, tuple[float, float]]:
    store = SqliteStore(await prepare(patients, directory))
    await store.open()
    try:
        engine = SearchEngine(store, (BASE,))
        rng = random.Random(11)
        results: dict[str, tuple[float, float]] = {}
        for name, make in queries(patients, rng).items():
            for _ in range(5):  # warm the page cache and the statement cache
                await measure(engine, make())
            timings = []
            hits = 0
            for _ in range(runs):
                elapsed, found = await measure(engine, make())
                timings.append(elapsed)
                hits += found
            timings.sort()
            p50 = statistics.median(timings)
            p95 = timings[int(len(timings) * 0.95) - 1]
            results[name] = (p50, p95)
            print(
                f"N={patients:>8} {name:<24} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
                f"entries/query {hits / runs:.1f}"
            )
        return results
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, action="append", default=[])
    parser.add_argument("--dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--load-only", action="store_true", help="build the databases, time nothing"
    )
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    sizes = args.patients or [10_000, 100_000]
    print(f"index extraction: {extraction_us():.0f} µs per Patient", flush=True)
    if args.load_only:
        for n in sizes:
            asyncio.run(prepare(n, args.dir))
        return
    table = {n: asyncio.run(bench(n, args.dir, args.runs)) for n in sizes}
    small, large = sizes[0], sizes[-1]
    if large != small:
        print(f"\np95 ratio N={large} / N={small}:")
        for name in table[small]:
            print(f"  {name:<24} {table[large][name][1] / table[small][name][1]:.2f}x")


if __name__ == "__main__":
    main()

"""Merge benchmark (not a test): a patient referenced by 5,000 resources merged away.

    .venv/bin/python -m bench.merge [--referrers 5000] [--runs 3] [--profile FILE]

Seeds a fresh SQLite store with two patients (the retired one and the survivor, ids
from their MRNs as the HL7v2 mapper makes them) and ``--referrers`` resources of the
retired one, mixed appointments, coverages, claims and consents, straight through the
indexer and ``Store.write``; the seeded file is copied for each run. Then times, each on
its own copy, an ADT^A40 through the ingestor (what MLLP and ``$hl7v2-ingest`` run,
minus the socket, under the server's garbage-collection settings, ``server.gc_settle``)
and a ``POST /fhir/Patient/$merge`` through the app in-process (ASGI), with the audit
trail off. Each time covers the whole merge: planning (the compartment
search, the reads), repointing, indexing, and the one write with its fsync. After each
run every referrer is checked to point at the survivor. ``--profile FILE`` writes a
cProfile of one more A40 run. The CPU time printed is the process's (every thread), which
a loaded machine does not inflate as it does the wall time. Target (issue 15): under 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from mappers.identity import deterministic_id
from server.app import create_app
from server.fhir.clock import now_us
from server.gc_settle import settled
from server.hl7v2.ingest.model import Outcome
from server.hl7v2.ingest.repoint import referrers_in
from server.runtime import open_runtime
from server.search.extract import extract_index
from server.settings import Settings
from server.storage.port import Method, Store, StoredVersion, Write
from server.storage.sqlite.store import SqliteStore
from server.versions import stamp
from tests.conftest import make_claim

BASE = "http://127.0.0.1:8080/fhir"
BATCH = 1000
AUTHORITY = "urn:fhirport:id:north"
RETIRED = deterministic_id("Patient", AUTHORITY, "MRN1")
SURVIVOR = deterministic_id("Patient", AUTHORITY, "MRN2")
KINDS = ("Appointment", "Coverage", "Claim", "Consent")

A40 = "\r".join(
    (
        "MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|20350101||ADT^A40^ADT_A39|M{run}|P|2.5.1",
        "EVN|A40|20350101",
        "PID|1||MRN2^^^NORTH^MR||Doe^Ann||19800214|F",
        "MRG|MRN1^^^NORTH^MR",
    )
)


def patient(mrn: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": deterministic_id("Patient", AUTHORITY, mrn),
        "identifier": [{"system": AUTHORITY, "value": mrn}],
        "name": [{"family": "Doe", "given": ["Ann"]}],
        "gender": "female",
        "birthDate": "1980-02-14",
        "address": [{"line": ["1 Main St"], "city": "Springfield", "postalCode": "12345"}],
    }


_FIRST_VISIT = datetime(2024, 1, 1, tzinfo=UTC)


def referrer(n: int, patient_id: str) -> dict[str, Any]:
    """The ``n``th resource of the patient: appointments, coverages, claims, consents."""
    reference = {"reference": f"Patient/{patient_id}"}
    kind = KINDS[n % len(KINDS)]
    day = f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
    resource: dict[str, Any]
    if kind == "Appointment":
        # Each at an hour of its own: the merge's move runs the booking rule, which
        # refuses a record double-booked at one time.
        start = _FIRST_VISIT + timedelta(hours=n)
        resource = {
            "resourceType": "Appointment",
            "status": "booked",
            "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "serviceType": [{"coding": [{"system": "urn:oid:1.2.3", "code": f"S{n % 40}"}]}],
            "participant": [
                {"actor": reference, "status": "accepted"},
                {"actor": {"reference": f"Practitioner/pr{n % 50}"}, "status": "accepted"},
                {"actor": {"reference": f"Location/loc{n % 10}"}, "status": "accepted"},
            ],
        }
    elif kind == "Coverage":
        resource = {
            "resourceType": "Coverage",
            "status": "active",
            "identifier": [{"system": "urn:oid:1.2.4", "value": f"MEM{n}"}],
            "beneficiary": reference,
            "subscriber": reference,
            "payor": [{"reference": f"Organization/org{n % 20}"}],
            "period": {"start": day},
        }
    elif kind == "Claim":
        resource = make_claim(f"Patient/{patient_id}", created=day)
        resource["identifier"] = [{"system": "urn:oid:1.2.5", "value": f"CLM{n}"}]
    else:
        resource = {
            "resourceType": "Consent",
            "status": "active",
            "scope": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                        "code": "patient-privacy",
                    }
                ]
            },
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": reference,
            "dateTime": f"{day}T10:00:00Z",
            "performer": [reference],
        }
    resource["id"] = f"{kind.lower()}-{n}"
    return resource


async def seed(path: Path, count: int) -> None:
    """Write the two patients and ``count`` referrers of the retired one."""
    store = SqliteStore(path)
    await store.open()
    try:
        indexer = partial(extract_index, base_urls=(BASE,))
        resources = [patient("MRN1"), patient("MRN2")]
        resources += [referrer(n, RETIRED) for n in range(count)]
        for start in range(0, len(resources), BATCH):
            writes = []
            for item in resources[start : start + BATCH]:
                updated = now_us()
                body = stamp(item, item["id"], 1, updated)
                kind = item["resourceType"]
                version = StoredVersion(kind, item["id"], 1, updated, Method.PUT, body)
                writes.append(Write(version, 0, indexer(item)))
            await store.write(writes)
    finally:
        await store.close()


async def check_moved(store: Store, count: int) -> None:
    """Every referrer now points at the survivor, and none at the retired patient."""
    find = referrers_in(store)
    for patient_id, expected in ((RETIRED, 0), (SURVIVOR, count)):
        found = len(await find(patient_id))
        assert found == expected, f"Patient/{patient_id}: {found} referrers, expected {expected}"


def settings_for(path: Path) -> Settings:
    return Settings(
        store=f"sqlite:///{path}",
        seed=False,
        host="127.0.0.1",
        port=8080,
        allowed_hosts=("testserver",),
        auth="none",
        audit="off",
    )


async def a40(path: Path, run: int, count: int) -> float:
    """Time one ADT^A40 through the ingestor, with the server's garbage collection settings."""
    with settled():
        return await _a40(path, run, count)


async def _a40(path: Path, run: int, count: int) -> float:
    async with open_runtime(settings_for(path)) as runtime:
        started, cpu = time.perf_counter(), time.process_time()
        outcome = await runtime.ingestor.ingest(A40.format(run=run).encode())
        seconds = time.perf_counter() - started
        CPU.append(time.process_time() - cpu)
        assert outcome.outcome is Outcome.APPLIED, outcome.reason
        await check_moved(runtime.store, count)
    return seconds


async def merge_operation(path: Path, run: int, count: int) -> float:
    """Time one ``POST /fhir/Patient/$merge`` through the app."""
    del run
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "source-patient", "valueReference": {"reference": f"Patient/{RETIRED}"}},
            {"name": "target-patient", "valueReference": {"reference": f"Patient/{SURVIVOR}"}},
        ],
    }
    app = create_app(settings_for(path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            started, cpu = time.perf_counter(), time.process_time()
            answer = await http.post(
                "/fhir/Patient/$merge",
                json=body,
                headers={"Content-Type": "application/fhir+json"},
                timeout=120,
            )
            seconds = time.perf_counter() - started
            CPU.append(time.process_time() - cpu)
            assert answer.status_code == 200, answer.text
        await check_moved(app.state.runtime.store, count)
    return seconds


CPU: list[float] = []  # the process's CPU seconds (every thread) of each timed merge
Timed = Callable[[Path, int, int], Awaitable[float]]


async def bench(count: int, runs: int, folder: Path, profile: Path | None) -> None:
    template = folder / "template.sqlite3"
    started = time.perf_counter()
    await seed(template, count)
    print(f"seeded {count} referrers in {time.perf_counter() - started:.1f} s (SQLite)")
    cases: dict[str, Timed] = {"ADT^A40": a40, "POST Patient/$merge": merge_operation}
    for name, timed in cases.items():
        timings = []
        CPU.clear()
        for run in range(runs):
            copy = folder / f"run-{run}.sqlite3"
            shutil.copyfile(template, copy)
            timings.append(await timed(copy, run, count))
            copy.unlink()
        print(
            f"  {name}: median {statistics.median(timings):.2f} s, best {min(timings):.2f} s, "
            f"worst {max(timings):.2f} s ({runs} runs, {count} referrers moved); "
            f"CPU median {statistics.median(CPU):.2f} s"
        )
    if profile is not None:
        copy = folder / "profile.sqlite3"
        shutil.copyfile(template, copy)
        profiler = cProfile.Profile()
        profiler.enable()
        await a40(copy, runs, count)
        profiler.disable()
        profiler.dump_stats(profile)
        print(f"profile of one ADT^A40 written to {profile}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrers", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench(args.referrers, args.runs, Path(folder), args.profile))


if __name__ == "__main__":
    main()

"""Front-office benchmark (not a test): claim scrubbing throughput on SQLite.

    .venv/bin/python -m bench.front_office [--patients 2000] [--claims 20000]
        [--concurrency 32] [--seconds 10] [--connections 32]

Seeds a fresh SQLite store with ``--patients`` patients, a coverage each, one billing
organization and ``--claims`` stored claims (a few in ten with one fault each), straight
through the indexer and ``Store.write``. Then:

1. scrub: every stored claim through one Scrubber (what ``$scrub`` and
   ``--scrub-on-create`` run: the patients, coverages and providers of the claims
   scrubbed at the same time read in one ``read_many``, their duplicates in one search,
   the edit table), ``--concurrency`` at a time, under the server's garbage-collection
   settings (server.gc_settle), the ICD-10-CM release loaded first; claims/s, process
   CPU a claim and by thread (/proc), the load average, and the edits found;
2. HTTP: ``fhirport serve`` pinned to core 0 (``--auth none --audit off``) and wrk on
   core 1 posting one claim to ``POST /fhir/Claim/$scrub`` for ``--seconds``.

3. reminders: ``--appointments`` booked Appointments (each of its own patient, with an
   email address, at one clinic with one of 50 practitioners) spread over the next 47
   hours, then ``$send-reminders`` (what the operation and ``--reminders-every`` run:
   the search of the window, the reminders read by id, the people and places read at
   once, each Communication created, written to a file by the file sender, its status
   recorded), and a second run that finds every reminder made (all skipped).

4. find: bench/front_office_find.py's ``find_figures`` (``$find`` over four weeks of
   15-minute slots of 50 practitioners), each query's p50 and p95.

Targets (issue 17): ``$scrub`` at 2,000 claims/s or more; ``$send-reminders`` for
10,000 appointments in under 10 s; ``$find`` under 100 ms. Needs wrk for step 2
(``--no-http`` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.everything import load
from bench.rest import start, stop, wait_ready
from bench.wrk_run import run_wrk
from server.fhir.clock import fhir_instant, now_us
from server.gc_settle import settled
from server.reminders import DEFAULT_WITHIN_S, Reminders
from server.reminders.senders import FileSender
from server.scrub import (
    Scrubber,
    code_sets,
)
from server.scrub.scrubber import ClaimEdit
from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.sqlite.store import SqliteStore
from tests.e2e.server_process import free_port
from tests.scrub.claims import COVERAGE, PATIENT, PAYER, PROVIDER, clean_claim

BASE = "http://127.0.0.1:8080/fhir"
FHIR_JSON = {"Content-Type": "application/fhir+json"}
CPT_CODES = ("99213", "99214", "93000", "36415", "81002", "0001F")
ICD_CODES = ("E11.9", "I10", "J45.909", "R07.9", "K21.9", "M54.50")


def world(patients: int) -> list[dict[str, Any]]:
    """The payer, the billing provider, and each patient with a coverage."""
    resources: list[dict[str, Any]] = [dict(PAYER), dict(PROVIDER)]
    for n in range(patients):
        resources.append({**PATIENT, "id": f"p{n}"})
        resources.append({**COVERAGE, "id": f"c{n}", "beneficiary": {"reference": f"Patient/p{n}"}})
    return resources


def claim(n: int, patients: int) -> dict[str, Any]:
    """The ``n``th claim: a patient's visit on one of 28 days, every tenth with a fault."""
    body = clean_claim()
    body["id"] = f"claim{n}"
    body["patient"] = {"reference": f"Patient/p{n % patients}"}
    body["insurance"][0]["coverage"] = {"reference": f"Coverage/c{n % patients}"}
    day = f"2026-05-{n % 28 + 1:02d}"
    body["billablePeriod"] = {"start": day, "end": day}
    line = body["item"][0]
    line["servicedDate"] = day
    line["productOrService"]["coding"][0]["code"] = CPT_CODES[n % len(CPT_CODES)]
    body["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["code"] = ICD_CODES[
        n % len(ICD_CODES)
    ]
    if n % 10 == 3:
        body["total"]["value"] = 99
    elif n % 10 == 7:
        body["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["code"] = "E11"
    return body


async def seed(path: Path, patients: int, claims: int) -> list[dict[str, Any]]:
    """Write the world and the claims; return the claims as stored."""
    stored = [claim(n, patients) for n in range(claims)]
    await load(path, world(patients) + stored)
    return stored


def threads_cpu() -> dict[str, float]:
    """CPU seconds so far of this process's live threads, by thread name (pools summed)."""
    ticks = os.sysconf("SC_CLK_TCK")
    by_name: dict[str, float] = collections.defaultdict(float)
    for thread in threading.enumerate():
        try:
            text = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        by_name[thread.name.rstrip("0123456789").rstrip("_")] += (
            int(fields[11]) + int(fields[12])
        ) / ticks
    return dict(by_name)


async def scrub_all(path: Path, claims: list[dict[str, Any]], concurrency: int) -> None:
    store = SqliteStore(path)
    await store.open()
    try:
        scrubber = Scrubber(store)
        began = time.perf_counter()
        await code_sets.load_icd10cm()
        print(f"ICD-10-CM release loaded in {time.perf_counter() - began:.1f}s")
        found: collections.Counter[str] = collections.Counter()
        queue = list(claims)

        async def worker() -> None:
            while queue:
                body = queue.pop()
                edits: list[ClaimEdit] = await scrubber.scrub(body, body["id"])
                found.update(e.edit for e in edits)

        cpu, threads = time.process_time(), threads_cpu()
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        took = time.perf_counter() - began
        cpu = time.process_time() - cpu
        spent = {
            name: seconds - threads.get(name, 0.0)
            for name, seconds in threads_cpu().items()
            if seconds > threads.get(name, 0.0)
        }
        print(
            f"scrub: {len(claims)} claims in {took:.2f}s = {len(claims) / took:,.0f} claims/s"
            f" (process CPU {cpu:.2f}s = {len(claims) / cpu:,.0f} claims per CPU second,"
            f" {cpu / len(claims) * 1e6:,.0f} µs a claim; load average {os.getloadavg()[0]:.2f})"
        )
        print(
            "  CPU by thread: "
            + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in sorted(spent.items()))
        )
        print(f"edits found: {dict(sorted(found.items()))}")
    finally:
        await store.close()


def scrub_http(path: Path, body: dict[str, Any], args: argparse.Namespace) -> None:
    fhirport = str(Path(sys.executable).parent / "fhirport")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "scrub.lua"
        text = orjson.dumps(body).decode().replace("\\", "\\\\").replace('"', '\\"')
        script.write_text(
            'wrk.method = "POST"\n'
            f'wrk.body = "{text}"\n'
            'wrk.headers["Content-Type"] = "application/fhir+json"\n'
        )
        port = free_port()
        server = start(
            [fhirport, "serve", "--port", str(port), "--store", f"sqlite:///{path}",
             "--log-level", "warning", "--auth", "none", "--audit", "off"]
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/fhir/Claim/$scrub"
            wait_ready(f"http://127.0.0.1:{port}/fhir/metadata")
            # The first scrub reads the ICD-10-CM release: not part of the measurement.
            httpx.post(url, content=orjson.dumps(body), headers=FHIR_JSON, timeout=120)
            run_wrk(url, script=script, seconds=3, connections=args.connections)
            result = run_wrk(url, script=script, seconds=args.seconds, connections=args.connections)
        finally:
            stop(server)
    print(
        f"HTTP POST /fhir/Claim/$scrub: {result.requests_per_second:,.0f}/s,"
        f" p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, non-2xx {result.non_2xx}"
    )


def appointments(count: int) -> list[dict[str, Any]]:
    """The clinic, 50 practitioners, and ``count`` patients each booked once in 47 hours."""
    began = now_us() + 10 * 60 * 1_000_000
    step = 47 * 3600 * 1_000_000 // max(count, 1)
    resources: list[dict[str, Any]] = [
        {"resourceType": "Location", "id": "clinic", "name": "North Clinic"}
    ]
    resources += [
        {"resourceType": "Practitioner", "id": f"dr{n}", "name": [{"family": f"Doc{n}"}]}
        for n in range(50)
    ]
    for n in range(count):
        start = began + n * step
        resources.append(
            {
                "resourceType": "Patient",
                "id": f"rp{n}",
                "name": [{"family": "Rivera", "given": ["Ana"]}],
                "telecom": [{"system": "email", "value": f"p{n}@example.org", "rank": 1}],
            }
        )
        resources.append(
            {
                "resourceType": "Appointment",
                "id": f"ra{n}",
                "status": "booked",
                "start": fhir_instant(start),
                "end": fhir_instant(start + 15 * 60 * 1_000_000),
                "patientInstruction": "Bring your insurance card",
                "participant": [
                    {"actor": {"reference": ref}, "status": "accepted"}
                    for ref in (f"Patient/rp{n}", f"Practitioner/dr{n % 50}", "Location/clinic")
                ],
            }
        )
    return resources


async def remind_all(path: Path, count: int, outbox_in: Path | None) -> None:
    """Seed ``count`` booked appointments, then send their reminders twice (file sender
    writing into a fresh folder under ``outbox_in``, default the system's temp folder)."""
    began = time.perf_counter()
    await load(path, appointments(count))
    print(f"seeded {count} patients and booked appointments in {time.perf_counter() - began:.1f}s")
    store = SqliteStore(path)
    await store.open()
    try:
        with tempfile.TemporaryDirectory(dir=outbox_in) as outbox:
            reminders = Reminders(
                store,
                partial(extract_index, base_urls=(BASE,)),
                SearchEngine(store, (BASE,)),
                FileSender(Path(outbox)),
            )
            for label in ("first run", "second run"):
                cpu, loop_cpu = time.process_time(), time.thread_time()
                began = time.perf_counter()
                tally = await reminders.run(DEFAULT_WITHIN_S)
                took = time.perf_counter() - began
                print(
                    f"$send-reminders ({label}): {tally} in {took:.2f}s"
                    f" (process CPU {time.process_time() - cpu:.2f}s, of which the event"
                    f" loop's thread {time.thread_time() - loop_cpu:.2f}s),"
                    f" {len(os.listdir(outbox))} files"
                )
    finally:
        await store.close()


def find_all() -> None:
    """Time ``$find`` with the scheduling benchmark's seed and queries."""
    from bench.front_office_find import find_figures

    result = asyncio.run(find_figures())
    print(f"$find: {result['slots']} slots seeded in {result['seed_s']:.1f}s")
    for name, figure in result["queries"].items():
        print(f"  {name}: p50 {figure['p50_ms']:.1f} ms, p95 {figure['p95_ms']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--claims", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-http", action="store_true", help="skip the wrk step")
    parser.add_argument("--appointments", type=int, default=10000)
    parser.add_argument(
        "--outbox",
        type=Path,
        help="where the file sender's folder is made (default: the temp folder); "
        "e.g. /dev/shm to leave the disk's file creation out",
    )
    parser.add_argument(
        "--only", choices=("scrub", "reminders", "find"), help="run only this step (default: all)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "scrub"):
            path = Path(tmp) / "front-office.sqlite3"
            began = time.perf_counter()
            claims = asyncio.run(seed(path, args.patients, args.claims))
            print(
                f"seeded {args.patients} patients, coverages and {args.claims} claims"
                f" in {time.perf_counter() - began:.1f}s"
            )
            with settled():  # the server's garbage-collection settings
                asyncio.run(scrub_all(path, claims, args.concurrency))
            if not args.no_http:
                scrub_http(path, claim(args.claims + 1, args.patients), args)
        if args.only in (None, "reminders"):
            asyncio.run(remind_all(Path(tmp) / "reminders.sqlite3", args.appointments, args.outbox))
        if args.only in (None, "find"):
            find_all()


if __name__ == "__main__":
    main()

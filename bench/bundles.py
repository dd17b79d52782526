"""Bundle benchmarks on the SQLite store (not timed tests).

    .venv/bin/python bench/bundles.py transaction [--patients 250] [--repeat 5] [--audit off|all]

``transaction``: a transaction of 4 entries per patient (the Patient, a Coverage, a
Consent and an Appointment, all POST, referring to each other by ``urn:uuid``; 250
patients make 1,000 entries) applied with ``server.transactions.apply_bundle`` on a
fresh SQLite store opened by the composition root (strict referential integrity, the
client write rules), each repeat a new Bundle on the same store. Target: a
1,000-entry transaction in under 1.5 s. Prints one JSON line per section.

Other sections (the importer, ``$export``) are added beside ``transaction`` as
subcommands of ``main``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.runtime import open_runtime
from server.settings import Settings
from server.transactions import apply_bundle

Section = Callable[[argparse.Namespace], dict[str, Any]]


def _entry(resource: dict[str, Any], full_url: str) -> dict[str, Any]:
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def registration(n: int) -> list[dict[str, Any]]:
    """The four entries of one patient's registration, linked by urn:uuid."""
    pat, cov, con, appt = (f"urn:uuid:{uuid.uuid4()}" for _ in range(4))
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": f"B{n}"}],
        "name": [{"family": f"Bench{n}", "given": ["Ana"]}],
        "gender": "female",
        "birthDate": "1980-01-01",
    }
    coverage = {
        "resourceType": "Coverage",
        "status": "active",
        "subscriberId": f"S{n}",
        "beneficiary": {"reference": pat},
        "subscriber": {"reference": pat},
        "payor": [{"reference": pat}],
    }
    consent = {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "treatment",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": pat},
        "performer": [{"reference": pat}],
        "policy": [{"uri": "https://example.org/policies/consent-to-treat"}],
        "sourceReference": {"reference": cov},
    }
    appointment = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": "2026-12-10T09:00:00Z",
        "end": "2026-12-10T09:20:00Z",
        "participant": [{"actor": {"reference": pat}, "status": "accepted"}],
        "supportingInformation": [{"reference": con}],
    }
    return [
        _entry(patient, pat),
        _entry(coverage, cov),
        _entry(consent, con),
        _entry(appointment, appt),
    ]


def transaction_bundle(patients: int, offset: int = 0) -> dict[str, Any]:
    entries = [e for n in range(offset, offset + patients) for e in registration(n)]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


async def _transaction(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(store=f"sqlite:///{folder}/bench.sqlite3", audit=args.audit)
        async with open_runtime(settings) as runtime:
            seconds: list[float] = []
            cpu: list[float] = []
            for repeat in range(args.repeat):
                document = transaction_bundle(args.patients, repeat * args.patients)
                started, started_cpu = time.perf_counter(), time.process_time()
                result = await apply_bundle(runtime.service, document, search=runtime.search)
                seconds.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                assert len(result.bundle["entry"]) == 4 * args.patients
            stored = {t: await runtime.store.count(t) for t in ("Patient", "Appointment")}
    return {
        "section": "transaction",
        "entries": 4 * args.patients,
        "audit": args.audit,
        "seconds_min": round(min(seconds), 3),
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds_max": round(max(seconds), 3),
        # CPU of the whole process (event loop, reader and writer threads): what the
        # wall time would be on an idle machine, less the fsync.
        "cpu_seconds_median": round(statistics.median(cpu), 3),
        "stored": stored,
        "target_seconds": 1.5,
    }


def transaction(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(_transaction(args))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sections = parser.add_subparsers(dest="section", required=True)
    tx = sections.add_parser("transaction", help="a 1,000-entry transaction (250 patients)")
    tx.add_argument("--patients", type=int, default=250)
    tx.add_argument("--repeat", type=int, default=5)
    tx.add_argument("--audit", choices=["off", "writes", "all"], default="off")
    tx.set_defaults(run=transaction)
    args = parser.parse_args(argv)
    run: Section = args.run
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()

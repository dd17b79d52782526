"""Console page render times against the search benchmark's data set (not a test).

    .venv/bin/python -m bench.console --patients 1000000
    .venv/bin/python -m bench.console --patients 1000000 --only "front desk"

Loads (or reuses) ``bench.search``'s database of N patients, each with a coverage, two
appointments and a claim, copies it, and opens the app on the copy as ``fhirport serve``
would (``--auth none``, the audit log on: every page that reads patient data writes its
AuditEvents). Each page is fetched in-process over ASGI, so the time is the whole stack:
the console's handler, its API calls through every middleware, the rendering. Each page
is timed once cold (its first request: its templates are compiled then) and then after
a warm-up, with the process's CPU per page beside; the same FHIR search is timed through
the API alone beside the console's browse page, so the two costs can be compared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.search import SURNAMES, practitioners, prepare
from server.app import create_app
from server.settings import Settings

BUDGET_MS = 200.0


def pages(patients: int) -> dict[str, Callable[[int], str]]:
    """Each page, as a path of run ``n`` (another patient or name each time)."""

    def patient(n: int) -> str:
        return f"p{(n * 7919) % patients}"

    def family(n: int) -> str:
        return SURNAMES[n % len(SURNAMES)]

    return {
        "home": lambda n: "/",
        "home: counts": lambda n: "/console/home/counts",
        "home: hl7v2 chart": lambda n: "/console/home/hl7v2",
        "home: activity": lambda n: "/console/home/activity",
        "browse types": lambda n: "/console/browse",
        "browse Patient": lambda n: "/console/browse/Patient",
        "browse family=": lambda n: f"/console/browse/Patient?v.family={family(n)}",
        "  same search, API only": lambda n: f"/fhir/Patient?family={family(n)}&_count=20",
        "browse Claim +_include": lambda n: (
            f"/console/browse/Claim?v.patient=Patient/{patient(n)}&include=Claim:patient"
        ),
        "  same search, API only ": lambda n: (
            f"/fhir/Claim?patient=Patient/{patient(n)}&_include=Claim:patient&_count=20"
        ),
        "resource Patient": lambda n: f"/console/Patient/{patient(n)}",
        "resource Appointment": lambda n: f"/console/Appointment/app{(n * 7919) % patients}-1",
        "resource Claim": lambda n: f"/console/Claim/cla{(n * 7919) % patients}-3",
        "history + diff": lambda n: "/console/Patient/p1/_history",
        "editor": lambda n: f"/console/Patient/{patient(n)}/edit",
        "patient chart": lambda n: f"/console/chart/{patient(n)}",
        "records desk": lambda n: "/console/roi",
        "front desk, a day": lambda n: f"/console/front-desk?date=2024-03-{n % 28 + 1:02d}",
        "front desk, one doctor": lambda n: (
            f"/console/front-desk?date=2024-03-{n % 28 + 1:02d}"
            f"&practitioner=Practitioner/pr{n % practitioners(patients)}"
        ),
        "hl7v2 workbench": lambda n: "/console/hl7",
    }


async def run(
    database: Path, patients: int, runs: int, only: tuple[str, ...] = ()
) -> dict[str, tuple[float, float]]:
    settings = Settings(
        store=f"sqlite:///{database}",
        seed=False,
        host="127.0.0.1",
        port=8080,
        allowed_hosts=("testserver",),
        auth="none",
        audit="all",
    )
    app = create_app(settings)
    results: dict[str, tuple[float, float]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            first = await http.get("/fhir/Patient/p1")
            changed = first.json() | {"gender": "other"}
            (await http.put("/fhir/Patient/p1", json=changed)).raise_for_status()
            for name, path in pages(patients).items():
                if only and not any(part in name for part in only):
                    continue
                started = time.perf_counter()
                (await http.get(path(0))).raise_for_status()
                cold = (time.perf_counter() - started) * 1000  # templates compiled on first use
                for n in range(1, 3):
                    (await http.get(path(n))).raise_for_status()
                timings = []
                cpu = time.process_time()
                for n in range(runs):
                    started = time.perf_counter()
                    answer = await http.get(path(n + 3))
                    timings.append((time.perf_counter() - started) * 1000)
                    answer.raise_for_status()
                # The process's CPU (every thread: the store's too) per page, which the
                # machine's other work does not stretch the way it stretches wall time.
                cpu_ms = (time.process_time() - cpu) / runs * 1000
                timings.sort()
                p50 = statistics.median(timings)
                p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
                results[name] = (p50, p95)
                flag = "" if p95 < BUDGET_MS else f"  over {BUDGET_MS:.0f} ms"
                print(
                    f"{name:<26} first {cold:7.1f} ms  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
                    f"  cpu {cpu_ms:6.1f} ms{flag}",
                    flush=True,
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--only", action="append", default=[], help="just the pages whose name contains this"
    )
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    source = asyncio.run(prepare(args.patients, args.dir))
    free = shutil.disk_usage(args.dir).free
    if free < source.stat().st_size * 1.2:
        raise SystemExit(
            f"{args.dir} has {free / 1e9:.1f} GB free: the copy of {source.name} "
            f"({source.stat().st_size / 1e9:.1f} GB) the pages write into needs more"
        )
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        # The pages write AuditEvents: measure on a copy, keep the data set as loaded.
        copy = Path(folder) / source.name
        shutil.copyfile(source, copy)
        started = time.perf_counter()
        print(f"N={args.patients} patients ({args.patients * 5} resources), {args.runs} runs")
        asyncio.run(run(copy, args.patients, args.runs, tuple(args.only)))
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        print(f"total {time.perf_counter() - started:.0f} s, load average {load}")


if __name__ == "__main__":
    main()

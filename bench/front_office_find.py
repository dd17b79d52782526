"""Appointment/$find benchmark (not a test): four weeks of 15-minute slots, SQLite.

    .venv/bin/python -m bench.front_office_find [--practitioners 50] [--days 28] [--runs 50]

Seeds a fresh SQLite store through the server's own code: ``--practitioners``
practitioners, a Schedule each (one service type, overbook capacity 2), and their Slots
by ``$generate-slots`` (Monday to Friday, 08:00-16:00, 15 minutes, ``--days`` days from
a Monday), with three in four of the first week's Slots then made busy. Then times
``GET /fhir/Appointment/$find`` in process (ASGI: routing, parsing, the Slot search on
the indexes, the proposals, the Bundle) ``--runs`` times per query and prints the median
and p95 in milliseconds.

Target (issue 17): ``$find`` over four weeks for 50 practitioners with 15-minute slots
answers in under 100 ms. ``find_figures`` is what bench/front_office.py calls.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.app import create_app
from server.scheduling.generate import generate_slots
from server.scheduling.weekly import read_request
from server.search.query import SearchQuery
from server.settings import Settings
from server.storage.port import Method
from server.versions import next_version

FIRST_DAY = date(2030, 1, 7)  # a Monday, after any clock the bench runs under
SERVICE = {"system": "http://snomed.info/sct", "code": "11429006"}
HOURS = {
    "resourceType": "Parameters",
    "parameter": [
        {
            "name": "available-time",
            "part": [
                *(
                    {"name": "day-of-week", "valueCode": d}
                    for d in ("mon", "tue", "wed", "thu", "fri")
                ),
                {"name": "start", "valueTime": "08:00:00"},
                {"name": "end", "valueTime": "16:00:00"},
            ],
        },
        {"name": "slot-minutes", "valuePositiveInt": 15},
    ],
}
TARGET_MS = 100.0


def queries(practitioners: int, days: int) -> dict[str, str]:
    """The $find queries timed, by name."""
    start = f"{FIRST_DAY.isoformat()}T00:00:00Z"
    end = f"{(FIRST_DAY + timedelta(days=days)).isoformat()}T00:00:00Z"
    last_day = f"{(FIRST_DAY + timedelta(days=days - 3)).isoformat()}T00:00:00Z"
    one = f"Practitioner/p{practitioners // 2}"
    service = f"{SERVICE['system']}|{SERVICE['code']}"
    return {
        "every practitioner, whole window": f"start={start}&end={end}",
        "one practitioner, whole window": f"practitioner={one}&start={start}&end={end}",
        "service type (all schedules)": f"service-type={service}&start={start}&end={end}",
        "one practitioner, last days": f"practitioner={one}&start={last_day}&end={end}",
        "one practitioner, urgent": f"practitioner={one}&start={start}&end={end}&urgency=urgent",
        "every practitioner, _count=100": f"start={start}&end={end}&_count=100",
    }


async def seed(app: Any, practitioners: int, days: int) -> int:
    """The practitioners, Schedules and Slots, through the runtime's service; the slot count."""
    service = app.state.service
    last = FIRST_DAY + timedelta(days=days - 1)
    total = 0
    for n in range(practitioners):
        await service.update(
            "Practitioner", f"p{n}", {"resourceType": "Practitioner", "id": f"p{n}"}
        )
        schedule = {
            "resourceType": "Schedule",
            "id": f"s{n}",
            "active": True,
            "actor": [{"reference": f"Practitioner/p{n}"}],
            "serviceType": [{"coding": [SERVICE]}],
            "planningHorizon": {"start": FIRST_DAY.isoformat(), "end": last.isoformat()},
            "extension": [
                {
                    "url": "https://fhirport.dev/fhir/StructureDefinition/overbook-capacity",
                    "valueInteger": 2,
                }
            ],
        }
        await service.update("Schedule", f"s{n}", schedule)
        generated = await generate_slots(service, f"s{n}", schedule, read_request(HOURS))
        total += generated.created
    await _busy_first_week(app)
    return total


async def _busy_first_week(app: Any) -> None:
    """Three in four of the first week's Slots busy (as bookings would make them)."""
    service, engine = app.state.service, app.state.search
    end = f"{(FIRST_DAY + timedelta(days=7)).isoformat()}T00:00:00Z"
    parsed = engine.parse("Slot", [("start", f"lt{end}"), ("_count", "1000")], lenient=False)
    cursor: str | None = None
    n = 0
    while True:
        page = await service.store.search(
            SearchQuery("Slot", tuple(parsed.clauses), (), 1000, cursor)
        )
        writes = []
        for version in page.versions:
            n += 1
            if n % 4:
                slot = orjson.loads(version.body or b"{}")
                slot["status"] = "busy"
                writes.append(
                    next_version("Slot", version.id, version, slot, Method.PUT, service.indexer)
                )
        if writes:
            await service.commit(writes)
        cursor = page.next_cursor
        if cursor is None:
            return


async def time_queries(
    http: httpx.AsyncClient, named: dict[str, str], runs: int
) -> dict[str, dict[str, float]]:
    """Each query's median and p95 (ms) over ``runs``, after one warm-up, and its entries."""
    figures: dict[str, dict[str, float]] = {}
    for name, query in named.items():
        url = f"/fhir/Appointment/$find?{query}"
        warm = await http.get(url)
        assert warm.status_code == 200, warm.text
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            response = await http.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
        timings.sort()
        figures[name] = {
            "p50_ms": statistics.median(timings),
            "p95_ms": timings[max(0, round(0.95 * len(timings)) - 1)],
            "entries": float(len(response.json().get("entry", ()))),
        }
    return figures


async def find_figures(
    practitioners: int = 50, days: int = 28, runs: int = 50, directory: Path | None = None
) -> dict[str, Any]:
    """Seed a fresh SQLite store and time $find on it: {"slots", "seed_s", "queries"}."""
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        settings = Settings(
            store=f"sqlite:///{Path(scratch) / 'find.sqlite3'}",
            allowed_hosts=("testserver",),
            auth="none",
            audit="off",
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            started = time.perf_counter()
            slots = await seed(app, practitioners, days)
            seeded = time.perf_counter() - started
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                figures = await time_queries(http, queries(practitioners, days), runs)
    return {"slots": slots, "seed_s": seeded, "queries": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--practitioners", type=int, default=50)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    result = asyncio.run(find_figures(args.practitioners, args.days, args.runs))
    seeded = f"{result['seed_s']:.1f} s"
    print(f"{result['slots']} slots of {args.practitioners} practitioners seeded in {seeded}")
    worst = 0.0
    for name, figure in result["queries"].items():
        worst = max(worst, figure["p95_ms"])
        print(
            f"  {name:48s} p50 {figure['p50_ms']:6.1f} ms  p95 {figure['p95_ms']:6.1f} ms"
            f"  ({int(figure['entries'])} proposals)"
        )
    verdict = "met" if worst < TARGET_MS else "not met"
    print(f"target p95 < {TARGET_MS:.0f} ms: {verdict} (worst p95 {worst:.1f} ms)")


if __name__ == "__main__":
    main()

"""$everything benchmark (not a test): the first page of a patient with 2,000 resources.

    .venv/bin/python -m bench.everything [--resources 2000] [--others 200] [--runs 20]

Loads into a fresh SQLite store, straight through the indexer and ``Store.write``: one
patient with ``--resources`` members of its compartment (Encounters with a practitioner
and a location, Appointments, Coverages with a payer, Claims), 30 practitioners, 10
organizations and 10 locations, and ``--others`` patients with the same mix at a tenth of
the size, so the indexes are not the patient's alone. Then, through the app in process
(httpx's ASGI transport: routing, access, the store, the Bundle; no sockets), times
``GET Patient/{id}/$everything`` (first page, default ``_count`` and ``_count=100``) and
the walk of every page by its next links. Target (issue 16): first page under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from server.app import create_app
from server.fhir.clock import now_us
from server.search.extract import extract_index
from server.settings import Settings
from server.storage.port import Method, StoredVersion, Write
from server.storage.sqlite.store import SqliteStore
from server.versions import stamp
from tests.conftest import make_claim
from tests.everything.records import (
    appointment,
    coverage,
    encounter,
    location,
    organization,
    patient,
    practitioner,
)

BASE = "http://localhost:8080/fhir"
BATCH = 1000


def directory() -> list[dict[str, Any]]:
    return (
        [practitioner(f"d{i}") for i in range(30)]
        + [organization(f"o{i}") for i in range(10)]
        + [location(f"l{i}") for i in range(10)]
    )


def record(pid: str, size: int) -> list[dict[str, Any]]:
    """A patient and ``size`` members of its compartment."""
    found: list[dict[str, Any]] = [patient(pid, doctor="d0")]
    for i in range(size):
        rid = f"{pid}-{i}"
        kind = i % 4
        if kind == 0:
            found.append(encounter(rid, pid, doctor=f"d{i % 30}", ward=f"l{i % 10}"))
        elif kind == 1:
            found.append(appointment(rid, f"Patient/{pid}", f"Practitioner/d{i % 30}"))
        elif kind == 2:
            found.append(coverage(rid, pid, f"o{i % 10}"))
        else:
            claim = make_claim(f"Patient/{pid}", id=rid)
            claim["provider"] = {"reference": f"Organization/o{i % 10}"}
            claim["insurance"][0]["coverage"] = {"reference": f"Coverage/{pid}-{i - 1}"}
            found.append(claim)
    return found


async def load(path: Path, resources: list[dict[str, Any]]) -> None:
    store = SqliteStore(path)
    await store.open()
    indexer = partial(extract_index, base_urls=(BASE,))
    try:
        for start in range(0, len(resources), BATCH):
            writes = []
            for item in resources[start : start + BATCH]:
                updated = now_us()
                body = stamp(item, item["id"], 1, updated)
                version = StoredVersion(
                    item["resourceType"], item["id"], 1, updated, Method.PUT, body
                )
                writes.append(Write(version, 0, indexer(item)))
            await store.write(writes)
    finally:
        await store.close()


async def timed(http: httpx.AsyncClient, url: str, runs: int) -> tuple[list[float], int]:
    timings = []
    entries = 0
    for _ in range(runs):
        started = time.perf_counter()
        response = await http.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        entries = len(response.json().get("entry", ()))
    return timings, entries


async def walk(http: httpx.AsyncClient, url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    pages = entries = 0
    next_url: str | None = url
    while next_url is not None:
        body = (await http.get(next_url)).json()
        pages += 1
        entries += len(body.get("entry", ()))
        found = {link["relation"]: link["url"] for link in body["link"]}
        next_url = found.get("next")
    return time.perf_counter() - started, pages, entries


async def bench(size: int, others: int, runs: int, folder: Path) -> None:
    path = folder / "everything.sqlite3"
    resources = directory() + record("target", size)
    for i in range(others):
        resources += record(f"other{i}", size // 10)
    await load(path, resources)
    print(f"{len(resources)} resources; the patient has {size} in its compartment, SQLite store")
    settings = Settings(
        store=f"sqlite:///{path}",
        seed=False,
        host="127.0.0.1",
        port=8080,
        allowed_hosts=("localhost:8080",),
        auth="none",
        audit="off",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8080") as http:
            for query in ("", "?_count=100"):
                url = f"/fhir/Patient/target/$everything{query}"
                await timed(http, url, 2)  # warm the caches
                timings, entries = await timed(http, url, runs)
                print(
                    f"  first page{query or ' (default _count)'}: {entries} entries, median "
                    f"{statistics.median(timings) * 1000:.1f} ms, best {min(timings) * 1000:.1f}"
                    f" ms, worst {max(timings) * 1000:.1f} ms ({runs} runs)"
                )
            for count in (100, 1000):
                url = f"/fhir/Patient/target/$everything?_count={count}"
                seconds, pages, entries = await walk(http, url)
                print(
                    f"  whole record, _count={count}: {entries} entries in {pages} pages, "
                    f"{seconds * 1000:.0f} ms"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--others", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench(args.resources, args.others, args.runs, Path(folder)))


if __name__ == "__main__":
    main()

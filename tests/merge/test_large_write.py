"""One write of thousands of updates (a merge repointing a large record) stays linear on SQLite.

The writer runs each job inside its group's transaction; every update of a resource clears its index
rows through a trigger, which journals the statement. A job of 4,000 updates must cost
about four times one of 1,000, not sixteen (it did, with the statement journal in memory).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from server.storage.port import VersionConflict
from tests.direct_store import indexed, opened_sqlite, search_ids

pytestmark = pytest.mark.anyio

SMALL = 500
LARGE = 4000


def _appointment(n: int, patient: str) -> dict[str, object]:
    return {
        "resourceType": "Appointment",
        "id": f"a{n}",
        "status": "booked",
        "start": f"2024-01-{n % 28 + 1:02d}T09:00:00Z",
        "serviceType": [{"coding": [{"system": "urn:x", "code": f"s{n % 40}"}]}],
        "participant": [
            {"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/p{n % 50}"}, "status": "accepted"},
        ],
    }


async def _one_job_of_updates(folder: Path, count: int) -> float:
    """Seconds for one write of ``count`` updates (each a new version, re-indexed)."""
    async with opened_sqlite(folder / f"updates-{count}-{time.monotonic_ns()}.sqlite3") as store:
        for start in range(0, count, 1_000):
            batch = range(start, min(start + 1_000, count))
            await store.write([indexed(_appointment(n, "old")) for n in batch])
        updates = [indexed(_appointment(n, "new"), version=2) for n in range(count)]
        started = time.perf_counter()
        await store.write(updates)
        return time.perf_counter() - started


async def test_one_write_of_many_updates_costs_in_proportion(tmp_path: Path) -> None:
    small = min([await _one_job_of_updates(tmp_path, SMALL) for i in range(2)])
    large = min([await _one_job_of_updates(tmp_path, LARGE) for i in range(2)])

    # Linear is 8x; the quadratic statement journal made it 64x. A loaded machine moves
    # either figure by a few times, not by eight.
    assert large < small * (LARGE / SMALL) * 3, f"{SMALL}: {small:.2f} s, {LARGE}: {large:.2f} s"


async def test_one_large_write_indexes_each_resource_as_its_last_version_says(
    tmp_path: Path,
) -> None:
    async with opened_sqlite(tmp_path / "large.sqlite3") as store:
        await store.write([indexed(_appointment(n, "old")) for n in range(200)])
        # One job: every resource moves to "new", and a0 twice (to "new", then "other").
        updates = [indexed(_appointment(n, "new"), version=2) for n in range(200)]
        updates.append(indexed(_appointment(0, "other"), version=3))

        await store.write(updates)

        assert await search_ids(store, "Appointment", "actor=Patient/old&_count=500") == []
        assert len(await search_ids(store, "Appointment", "actor=Patient/new&_count=500")) == 199
        assert await search_ids(store, "Appointment", "actor=Patient/other&_count=500") == ["a0"]
        assert len(await search_ids(store, "Appointment", "actor=Practitioner/p1&_count=500")) == 4


async def test_a_large_write_that_conflicts_leaves_every_index_as_it_was(tmp_path: Path) -> None:
    async with opened_sqlite(tmp_path / "conflict.sqlite3") as store:
        await store.write([indexed(_appointment(n, "old")) for n in range(200)])
        updates = [indexed(_appointment(n, "new"), version=2) for n in range(200)]
        updates.append(indexed(_appointment(7, "late"), version=5))  # expects version 4

        with pytest.raises(VersionConflict):
            await store.write(updates)

        assert len(await search_ids(store, "Appointment", "actor=Patient/old&_count=500")) == 200
        assert await search_ids(store, "Appointment", "actor=Patient/new&_count=500") == []

"""One write of thousands of updates (a merge repointing a large record) stays linear on SQLite.

The writer runs each job in a savepoint; every update of a resource clears its index
rows through a trigger, which journals the statement. A job of 4,000 updates must cost
about four times one of 1,000, not sixteen (it did, with the statement journal in memory).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.direct_store import indexed, opened_sqlite

pytestmark = pytest.mark.anyio

SMALL = 1_000
LARGE = 4_000


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
            batch = range(start, start + 1_000)
            await store.write([indexed(_appointment(n, "old")) for n in batch])
        updates = [indexed(_appointment(n, "new"), version=2) for n in range(count)]
        started = time.perf_counter()
        await store.write(updates)
        return time.perf_counter() - started


async def test_one_write_of_many_updates_costs_in_proportion(tmp_path: Path) -> None:
    small = min([await _one_job_of_updates(tmp_path, SMALL) for i in range(2)])
    large = await _one_job_of_updates(tmp_path, LARGE)

    # Linear is 4x; the quadratic statement journal made it 15x and more.
    assert large < small * (LARGE / SMALL) * 2.2, f"{SMALL}: {small:.2f} s, {LARGE}: {large:.2f} s"

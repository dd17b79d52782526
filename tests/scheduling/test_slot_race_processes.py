"""Two server processes on one SQLite file: racing bookings of one Slot book it once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.scheduling.booking import servers_sharing
from tests.scheduling.slots import weekly

pytestmark = pytest.mark.slow

RACERS = 16
DR = "Practitioner/dr-slot-proc"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, list[str]]]:
    """The servers and the ids of four free Slots of DR."""
    patients = (f"Patient/p-{n}" for n in range(RACERS))
    with servers_sharing(tmp_path_factory, "slots", DR, *patients) as (first, second):
        schedule: dict[str, Any] = {
            "resourceType": "Schedule",
            "id": "sch-proc",
            "actor": [{"reference": DR}],
            "planningHorizon": {"start": "2025-03-03", "end": "2025-03-03"},
        }
        assert httpx.put(f"{first}/Schedule/sch-proc", json=schedule).status_code == 201
        hours = weekly((["mon"], "09:00:00", "10:00:00"), slot_minutes=15)
        made = httpx.post(f"{first}/Schedule/sch-proc/$generate-slots", json=hours)
        assert made.status_code == 200, made.text
        found = httpx.get(f"{first}/Slot", params={"schedule": "Schedule/sch-proc"}).json()
        yield first, second, [e["resource"]["id"] for e in found["entry"]]


@pytest.mark.parametrize("slot_number", range(3))
def test_bookings_of_one_slot_on_two_servers_book_it_once(
    two_servers: tuple[str, str, list[str]], slot_number: int
) -> None:
    first, second, slots = two_servers
    slot = slots[slot_number]
    barrier = threading.Barrier(RACERS)

    def racer(n: int) -> int:
        base = (first, second)[n % 2]
        with httpx.Client(timeout=30.0) as http:
            assert http.get(f"{base}/metadata").status_code == 200
            barrier.wait()
            appointment = {
                "resourceType": "Appointment",
                "status": "booked",
                "slot": [{"reference": f"Slot/{slot}"}],
                "participant": [{"actor": {"reference": f"Patient/p-{n}"}, "status": "accepted"}],
            }
            return http.post(f"{base}/Appointment", json=appointment).status_code

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        statuses = sorted(pool.map(racer, range(RACERS)))

    assert statuses == [201] + [409] * (RACERS - 1)
    booked = httpx.get(
        f"{first}/Appointment", params={"slot": f"Slot/{slot}", "_total": "accurate"}
    ).json()
    assert booked["total"] == 1
    assert httpx.get(f"{second}/Slot/{slot}").json()["status"] == "busy"

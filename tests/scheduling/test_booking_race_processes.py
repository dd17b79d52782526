"""Two server processes on one SQLite file: racing bookings of one quarter hour book one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.scheduling.booking import make_appointment, servers_sharing

pytestmark = pytest.mark.slow

RACERS = 16
ROUNDS = 3
DR = "Practitioner/dr-proc"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    patients = (f"Patient/p-{n}" for n in range(RACERS))
    with servers_sharing(tmp_path_factory, "shared", DR, *patients) as servers:
        yield servers


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_bookings_on_two_servers_book_the_quarter_hour_once(
    two_servers: tuple[str, str], round_number: int
) -> None:
    day = f"2025-04-{round_number + 1:02d}"
    barrier = threading.Barrier(RACERS)

    def racer(n: int) -> int:
        base = two_servers[n % 2]
        with httpx.Client(timeout=30.0) as http:
            assert http.get(f"{base}/metadata").status_code == 200
            barrier.wait()
            appointment = make_appointment(
                f"{day}T09:00:00Z", f"{day}T09:15:00Z", DR, f"Patient/p-{n}"
            )
            return http.post(f"{base}/Appointment", json=appointment).status_code

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        statuses = sorted(pool.map(racer, range(RACERS)))

    assert statuses == [201] + [409] * (RACERS - 1)
    found = httpx.get(
        f"{two_servers[0]}/Appointment", params={"actor": DR, "date": day, "_total": "accurate"}
    ).json()
    assert found["total"] == 1

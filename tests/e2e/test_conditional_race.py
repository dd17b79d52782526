"""Two server processes on one SQLite file: racing conditional writes still make one resource."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient
from tests.e2e.server_process import running_server

pytestmark = pytest.mark.slow

SYSTEM = "urn:oid:9.9"
RACERS = 16
ROUNDS = 3

Send = Callable[[httpx.Client, str, int], httpx.Response]


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    store = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'shared.sqlite3'}"
    with ExitStack() as stack:
        first = stack.enter_context(running_server(store))
        second = stack.enter_context(running_server(store))
        yield first, second


def _race(bases: tuple[str, str], send: Send) -> list[httpx.Response]:
    """Each racer connects to its server first (alternating), then all send at once."""
    barrier = threading.Barrier(RACERS)

    def racer(n: int) -> httpx.Response:
        base = bases[n % 2]
        with httpx.Client(timeout=30.0) as http:
            assert http.get(f"{base}/metadata").status_code == 200
            barrier.wait()
            return send(http, base, n)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(racer, range(RACERS)))


def _patient(value: str, n: int) -> dict[str, object]:
    return make_patient(
        identifier=[{"system": SYSTEM, "value": value}], birthDate=f"19{n:02d}-01-01"
    )


def _total(base: str, value: str) -> int:
    bundle = httpx.get(
        f"{base}/Patient", params={"identifier": f"{SYSTEM}|{value}", "_total": "accurate"}
    ).json()
    total: int = bundle["total"]
    return total


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_conditional_creates_on_two_servers_make_one_patient(
    two_servers: tuple[str, str], round_number: int
) -> None:
    value = f"E2E-{round_number}"
    headers = {**FHIR_JSON, "If-None-Exist": f"identifier={SYSTEM}|{value}"}

    def send(http: httpx.Client, base: str, n: int) -> httpx.Response:
        return http.post(f"{base}/Patient", json=_patient(value, n), headers=headers)

    responses = _race(two_servers, send)

    assert sorted(r.status_code for r in responses) == [200] * (RACERS - 1) + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert _total(two_servers[0], value) == 1


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_conditional_updates_on_two_servers_make_one_patient(
    two_servers: tuple[str, str], round_number: int
) -> None:
    value = f"E2E-U{round_number}"

    def send(http: httpx.Client, base: str, n: int) -> httpx.Response:
        url = f"{base}/Patient?identifier={SYSTEM}|{value}"
        return http.put(url, json=_patient(value, n), headers=FHIR_JSON)

    responses = _race(two_servers, send)

    assert sorted(r.status_code for r in responses) == [200] * (RACERS - 1) + [201]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    versions = sorted(int(r.json()["meta"]["versionId"]) for r in responses)
    assert versions == list(range(1, RACERS + 1))
    assert _total(two_servers[1], value) == 1

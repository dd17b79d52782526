"""Merge races across two server processes on one SQLite file.

Each racer connects to its server first, then all are released by one barrier: the
processes' keyed locks cannot see each other, so only the store's compare-and-swap
keeps the merge single and the update kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.e2e.server_process import running_server
from tests.merge.race import (
    ER7,
    FHIR_JSON,
    a40,
    links,
    mentions,
    merge_parameters,
    patient_id,
    records_of,
    registration,
)

pytestmark = pytest.mark.slow

ROUNDS = 3
RECORDS = 6

Send = Callable[[httpx.Client], httpx.Response]


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    store = f"sqlite:///{tmp_path_factory.mktemp('merge') / 'shared.sqlite3'}"
    with ExitStack() as stack:
        first = stack.enter_context(running_server(store))
        second = stack.enter_context(running_server(store))
        yield first, second


def _race(
    bases: tuple[str, str], sends: list[Callable[[httpx.Client, str], httpx.Response]]
) -> list[httpx.Response]:
    """Racer n talks to server n % 2; all connected before any sends."""
    barrier = threading.Barrier(len(sends))

    def racer(n: int) -> httpx.Response:
        base = bases[n % 2]
        with httpx.Client(timeout=60.0) as http:
            assert http.get(f"{base}/metadata").status_code == 200
            barrier.wait()
            return sends[n](http, base)

    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        return list(pool.map(racer, range(len(sends))))


def _setup(base: str, tag: str) -> tuple[str, str, list[str]]:
    for mrn in (f"{tag}-OLD", f"{tag}-NEW"):
        answer = httpx.post(f"{base}/$hl7v2-ingest", content=registration(mrn), headers=ER7)
        assert answer.status_code == 200, answer.text
    retired, survivor = patient_id(f"{tag}-OLD"), patient_id(f"{tag}-NEW")
    made = []
    for record in records_of(retired, RECORDS):
        answer = httpx.post(f"{base}/{record['resourceType']}", json=record, headers=FHIR_JSON)
        assert answer.status_code == 201, answer.text
        made.append(f"{record['resourceType']}/{answer.json()['id']}")
    return retired, survivor, made


def _json(url: str) -> dict[str, Any]:
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _assert_one_merge(base: str, retired: str, survivor: str, records: list[str]) -> None:
    assert links(_json(f"{base}/Patient/{retired}"), "replaced-by", survivor) == 1
    assert links(_json(f"{base}/Patient/{survivor}"), "replaces", retired) == 1
    assert len(_json(f"{base}/Patient/{retired}/_history")["entry"]) == 2
    for reference in records:
        record = _json(f"{base}/{reference}")
        assert mentions(record, survivor), reference
        assert not mentions(record, retired), reference
        assert len(_json(f"{base}/{reference}/_history")["entry"]) == 2, reference
        provenance = _json(f"{base}/Provenance?target={reference}")
        assert len(provenance.get("entry", [])) == 1, reference


def _merge(retired: str, survivor: str) -> Callable[[httpx.Client, str], httpx.Response]:
    def send(http: httpx.Client, base: str) -> httpx.Response:
        body = merge_parameters(retired, survivor)
        return http.post(f"{base}/Patient/$merge", json=body, headers=FHIR_JSON)

    return send


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_an_a40_and_a_merge_on_two_servers_merge_once(
    two_servers: tuple[str, str], round_number: int
) -> None:
    tag = f"X{round_number}"
    retired, survivor, records = _setup(two_servers[0], tag)

    def ingest(http: httpx.Client, base: str) -> httpx.Response:
        message = a40(f"XM-{tag}", f"{tag}-NEW", f"{tag}-OLD")
        return http.post(f"{base}/$hl7v2-ingest", content=message, headers=ER7)

    ingested, merged = _race(two_servers, [ingest, _merge(retired, survivor)])

    assert ingested.status_code == 200, ingested.text
    assert ingested.json()["entry"][0]["response"]["status"] == "200 OK"
    assert merged.status_code == 200 or (
        merged.status_code == 422 and "already merged" in merged.text
    ), merged.text
    _assert_one_merge(two_servers[1], retired, survivor, records)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_merges_on_two_servers_merge_once(
    two_servers: tuple[str, str], round_number: int
) -> None:
    retired, survivor, records = _setup(two_servers[0], f"Y{round_number}")

    answers = _race(two_servers, [_merge(retired, survivor)] * 2)

    assert sorted(a.status_code for a in answers) == [200, 422], [a.text for a in answers]
    _assert_one_merge(two_servers[0], retired, survivor, records)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_an_update_racing_a_merge_on_the_other_server_is_kept_at_the_survivor(
    two_servers: tuple[str, str], round_number: int
) -> None:
    retired, survivor, records = _setup(two_servers[0], f"Z{round_number}")
    target = records[0]
    edited = {**_json(f"{two_servers[0]}/{target}"), "comment": f"edit {round_number}"}

    def update(http: httpx.Client, base: str) -> httpx.Response:
        return http.put(f"{base}/{target}", json=edited, headers=FHIR_JSON)

    merged, updated = _race(two_servers, [_merge(retired, survivor), update])

    assert merged.status_code == 200, merged.text
    assert updated.status_code == 200, updated.text
    record = _json(f"{two_servers[0]}/{target}")
    assert record["comment"] == f"edit {round_number}", "the update was lost"
    assert mentions(record, survivor)
    assert not mentions(record, retired)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_creates_racing_a_merge_on_the_other_server_end_at_the_survivor(
    two_servers: tuple[str, str], round_number: int
) -> None:
    retired, survivor, _ = _setup(two_servers[0], f"C{round_number}")

    def create(record: dict[str, Any]) -> Callable[[httpx.Client, str], httpx.Response]:
        def send(http: httpx.Client, base: str) -> httpx.Response:
            return http.post(f"{base}/{record['resourceType']}", json=record, headers=FHIR_JSON)

        return send

    sends = [_merge(retired, survivor), *map(create, records_of(retired, RECORDS))]
    merged, *created = _race(two_servers, sends)

    assert merged.status_code == 200, merged.text
    for answer in created:
        assert answer.status_code == 201, answer.text
        made = answer.json()
        record = _json(f"{two_servers[0]}/{made['resourceType']}/{made['id']}")
        assert mentions(record, survivor), record
        assert not mentions(record, retired), record

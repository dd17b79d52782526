"""Two server processes on one SQLite file run an unfinished export job once.

A first server takes an export and is killed before the job reads anything (its lease is
never given back). Two more servers are started together on the same file and export
folder: the job waits for the dead server's lease to expire, then exactly one of the two
takes it over and runs it, once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.bulk.conftest import ASYNC, FHIR_JSON, patient
from tests.e2e.server_process import free_port, running_process

pytestmark = pytest.mark.slow

LEASE_S = 30  # the exporter's default lease
PATIENTS = 3


@contextmanager
def _server(store: str, exports: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "fhirport"),
        "serve",
        "--port",
        str(port),
        "--store",
        store,
        "--export-dir",
        str(exports),
    ]
    with log.open("wb") as output, running_process(command, port, 30, output) as started:
        yield started


def test_two_servers_take_over_a_dead_servers_job_once(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    exports = tmp_path / "exports"
    with _server(store, exports, tmp_path / "first.log") as (base, first):
        for n in range(PATIENTS):
            answer = httpx.put(f"{base}/Patient/p{n}", json=patient(f"p{n}"), headers=FHIR_JSON)
            assert answer.status_code == 201, answer.text
        kicked = httpx.get(f"{base}/$export", headers=ASYNC)
        first.kill()  # before the job settles and reads: its lease stays taken
    assert kicked.status_code == 202, kicked.text
    status_path = kicked.headers["Content-Location"].split("/fhir", 1)[1]
    job_id = status_path.rstrip("/").rsplit("/", 1)[-1]

    logs = [tmp_path / "second.log", tmp_path / "third.log"]
    with ExitStack() as stack:
        bases = [stack.enter_context(_server(store, exports, log))[0] for log in logs]
        done = httpx.get(f"{bases[0]}{status_path}")
        for _ in range(int((LEASE_S + 40) / 0.5)):
            if done.status_code != 202:
                break
            time.sleep(0.5)
            done = httpx.get(f"{bases[0]}{status_path}")
        assert done.status_code == 200, done.text
        assert len(done.json()["output"]) == 1, done.text
    resumed = [log.name for log in logs if f"Export {job_id}: resumed" in log.read_text()]
    assert len(resumed) == 1, resumed
    lines = (exports / job_id).glob("Patient*.ndjson")
    assert sum(len(f.read_bytes().splitlines()) for f in lines) == PATIENTS

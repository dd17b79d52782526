"""A real server killed with SIGKILL loses at most the last second of its read audits."""

from __future__ import annotations

import base64
import signal
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import orjson
import pytest

from tests.conftest import make_patient
from tests.e2e.server_process import free_port, running_process

pytestmark = pytest.mark.slow
BOUND_S = 1.0
READING_S = 3.0


def read_for_a_while(base: str) -> dict[str, float]:
    """Search with a distinct query each time for READING_S; return each query's ack time."""
    acked: dict[str, float] = {}
    with httpx.Client(timeout=5.0) as http:
        created = http.post(f"{base}/Patient", json=make_patient()).json()["id"]
        end = time.monotonic() + READING_S
        n = 0
        while time.monotonic() < end:
            query = f"_id={created}&family=crash{n}"
            assert http.get(f"{base}/Patient?{query}").status_code == 200
            acked[query] = time.monotonic()
            n += 1
    return acked


def audited_queries(path: Path) -> set[str]:
    """The queries of the search AuditEvents on disk."""
    found: set[str] = set()
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT body FROM audit_event").fetchall()
    for (body,) in rows:
        for entity in orjson.loads(body).get("entity", ()):
            if "query" in entity:
                found.add(base64.b64decode(entity["query"]).decode())
    return found


def test_reads_acknowledged_a_second_before_a_kill_are_audited(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite3"
    port = free_port()
    executable = Path(sys.executable).parent / "fhirport"
    command = [str(executable), "serve", "--port", str(port), "--store", f"sqlite:///{database}"]
    command += ["--audit", "all", "--auth", "none"]

    with running_process(command, port) as (base, process):
        acked = read_for_a_while(base)
        process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        process.wait()

    audited = audited_queries(database)
    due = {query for query, at in acked.items() if at < killed - BOUND_S}
    assert len(due) > 10
    assert due - audited == set()

"""Two server processes on one SQLite file feed one destination: each entry arrives once,
and a killed server's entries arrive once its delivery lease has expired."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import httpx
import pytest

from server.fhir.clock import now_us
from tests.conftest import make_patient
from tests.e2e.server_process import logged_server
from tests.outbound.sink import APPLICATION, FACILITY, Sink

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

PATIENTS = 200


def _feed(path: Path, port: int) -> Path:
    """One destination (the sink), ACKs awaited 1 s, the shortest lease that allows."""
    path.write_text(
        "retry_initial_seconds: 0.05\n"
        "retry_max_seconds: 0.2\n"
        "lease_seconds: 1\n"
        "destinations:\n"
        f"  - {{name: legacy, host: 127.0.0.1, port: {port}, application: {APPLICATION},"
        f" facility: {FACILITY}, messages: [ADT^A04], timeout: 1}}\n"
    )
    return path


def _server(
    store: Path, feed: Path, log: Path
) -> AbstractContextManager[tuple[str, subprocess.Popen[bytes]]]:
    return logged_server(f"sqlite:///{store}", log, "--hl7-outbound", str(feed))


def _create(base: str, n: int) -> None:
    patient = make_patient(identifier=[{"value": f"MRN-{n}"}])
    answer = httpx.post(f"{base}/Patient", json=patient, timeout=30)
    assert answer.status_code == 201, answer.text


def _control_ids(sink: Sink) -> list[str]:
    return [m.segment("MSH").get(10) for m in sink.received]  # type: ignore[union-attr]


async def _quiet_then_count(sink: Sink, count: int) -> list[str]:
    await sink.wait_for(count)
    await asyncio.sleep(1.0)  # a second delivery, if any, has arrived by now
    return _control_ids(sink)


async def test_two_servers_on_one_file_send_each_entry_once(sink: Sink, tmp_path: Path) -> None:
    store, feed = tmp_path / "shared.sqlite3", _feed(tmp_path / "feed.yaml", sink.port)
    await sink.stop()  # entries pile up on both servers, both retrying
    with ExitStack() as stack:
        bases = [
            stack.enter_context(_server(store, feed, tmp_path / f"{name}.log"))[0]
            for name in ("first", "second")
        ]
        for n in range(PATIENTS):
            _create(bases[n % 2], n)
        await sink.start()
        control_ids = await _quiet_then_count(sink, PATIENTS)

    assert len(control_ids) == PATIENTS, sorted(control_ids)
    assert len(set(control_ids)) == PATIENTS


async def test_a_killed_servers_entries_are_sent_after_its_lease(
    sink: Sink, tmp_path: Path
) -> None:
    store, feed = tmp_path / "shared.sqlite3", _feed(tmp_path / "feed.yaml", sink.port)
    await sink.stop()
    with _server(store, feed, tmp_path / "killed.log") as (base, killed):
        for n in range(PATIENTS):
            _create(base, n)
        killed.kill()  # holding the lease: it was trying to deliver
        killed.wait()
    with sqlite3.connect(store) as conn:
        (until,) = conn.execute("SELECT until FROM hl7_outbox_lease").fetchone()
    assert until > now_us(), "the killed server's lease is still running"

    with _server(store, feed, tmp_path / "second.log"):
        await sink.start()
        await asyncio.sleep(max(0.0, (until - now_us()) / 1e6 - 0.3))
        assert sink.received == [], "delivered while the killed server's lease ran"
        control_ids = await _quiet_then_count(sink, PATIENTS)

    assert len(control_ids) == PATIENTS, sorted(control_ids)
    assert len(set(control_ids)) == PATIENTS

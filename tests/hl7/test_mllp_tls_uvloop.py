"""MLLP over TLS against a listener on uvloop in another process: every handshake succeeds.

A listener that accepts a plain stream and starts TLS on it afterwards loses a
ClientHello that arrived first, which under uvloop happens often enough to see here.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hl7.mllp_client import send_messages
from hl7.tls import client_context
from tests.hl7.certificates import Authority
from tests.hl7.test_mllp import HOST, adt, msa

pytestmark = pytest.mark.slow

CONNECTIONS = 60


@contextmanager
def listener_process(*paths: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """Run the uvloop listener; yield its port and the process (its stdout: refusals)."""
    command = [sys.executable, "-m", "tests.hl7.tls_listener_process", *map(str, paths)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline()), process
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


async def send_all(port: int, context: object, count: int) -> list[str]:
    """Send one message on each of ``count`` connections, ten at a time; what went wrong."""
    failures: list[str] = []
    limit = asyncio.Semaphore(10)

    async def one(index: int) -> None:
        async with limit:
            try:
                async with asyncio.timeout(10):
                    (answer,) = await send_messages(
                        HOST,
                        port,
                        [adt(f"U{index}")],
                        ssl=context,  # type: ignore[arg-type]
                    )
                assert msa(answer) == ("AA", f"U{index}")
            except (OSError, TimeoutError, AssertionError) as exc:
                failures.append(f"connection {index}: {type(exc).__name__} {exc}")

    await asyncio.gather(*(one(index) for index in range(count)))
    return failures


def test_every_tls_handshake_succeeds_under_uvloop(tmp_path: Path) -> None:
    ca = Authority(tmp_path, "hospital")
    server = ca.issue("mllp.hospital.test", server=True)
    client = ca.issue("lab-gateway", organization="North Lab")
    context = client_context(ca.cert, client.cert, client.key)

    with listener_process(server.cert, server.key, ca.cert) as (port, _):
        failures = asyncio.run(send_all(port, context, CONNECTIONS))

    assert failures == []


def test_a_refused_handshake_under_uvloop_is_recorded(tmp_path: Path) -> None:
    ca = Authority(tmp_path, "hospital")
    server = ca.issue("mllp.hospital.test", server=True)

    with listener_process(server.cert, server.key, ca.cert) as (port, process):
        failures = asyncio.run(send_all(port, client_context(ca.cert), 1))
        assert process.stdout is not None
        refusal = process.stdout.readline()

    assert len(failures) == 1
    assert refusal.startswith(f"refused {HOST} TLS handshake failed:")
    assert "CERTIFICATE" in refusal

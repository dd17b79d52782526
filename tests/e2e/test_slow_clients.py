"""The real server against stuck clients: half requests, idle keep-alives, too many at once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from hl7.framing import frame
from tests.e2e.raising_app import RAISING_PATH, running_raising_app
from tests.e2e.server_process import free_port, running_server

pytestmark = pytest.mark.slow

HEADER_TIMEOUT = 1.0
# How much later than its timeout a close may come on a busy test machine.
SLACK = 2.5
STUCK_PER_KIND = 10
ROUNDS = 2


def port_of(base: str) -> int:
    port = urlsplit(base).port
    assert port is not None
    return port


def half_requests(port: int) -> list[bytes]:
    """What stuck clients send: nothing, part of a request line, headers without the end."""
    host = f"Host: 127.0.0.1:{port}\r\n".encode()
    return [
        b"",
        b"GET /fhir/metad",
        b"GET /fhir/metadata HTTP/1.1\r\n" + host,
        b"POST /fhir/Patient HTTP/1.1\r\n" + host + b"Content-Type: application/fhir+json\r\n",
    ]


def until_closed(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """Read until the server closes; return the seconds it took and what was sent."""
    started = time.monotonic()
    sock.settimeout(limit)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return float("inf"), received
    except ConnectionResetError:
        pass
    return time.monotonic() - started, received


def stuck_clients(port: int, payloads: list[bytes], check: Callable[[], None]) -> list[float]:
    """Connect every client first, send the payloads together, run ``check`` meanwhile."""
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in payloads]
    barrier = threading.Barrier(len(sockets) + 1)

    def stuck(sock: socket.socket, payload: bytes) -> tuple[float, bytes]:
        barrier.wait()
        if payload:
            sock.sendall(payload)
        return until_closed(sock, HEADER_TIMEOUT + SLACK)

    try:
        with ThreadPoolExecutor(len(sockets)) as pool:
            futures = [pool.submit(stuck, s, p) for s, p in zip(sockets, payloads, strict=True)]
            barrier.wait()
            check()
            results = [f.result() for f in futures]
    finally:
        for sock in sockets:
            sock.close()
    for (_, received), payload in zip(results, payloads, strict=True):
        # Part of a request was sent: the server says why it gives up on it.
        assert received.startswith(b"HTTP/1.1 408 ") if payload else received == b""
    return [elapsed for elapsed, _ in results]


def test_half_requests_are_closed_after_the_header_timeout(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'stuck.sqlite3'}"
    with running_server(store, "--header-timeout", str(HEADER_TIMEOUT)) as base:
        port = port_of(base)
        payloads = half_requests(port) * STUCK_PER_KIND
        answered: list[int] = []

        def meanwhile() -> None:
            answered.append(httpx.get(f"{base}/metadata", timeout=HEADER_TIMEOUT).status_code)

        for _ in range(ROUNDS):
            elapsed = stuck_clients(port, payloads, meanwhile)

            assert max(elapsed) <= HEADER_TIMEOUT + SLACK, elapsed
            assert min(elapsed) >= HEADER_TIMEOUT * 0.8, elapsed
        assert answered == [200] * ROUNDS


def test_an_idle_keep_alive_connection_is_closed(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'keepalive.sqlite3'}"
    with running_server(store, "--timeout-keep-alive", "1") as base:
        port = port_of(base)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                f"GET /fhir/Patient?_count=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
            )
            elapsed, received = until_closed(sock, 1 + SLACK)

    assert received.startswith(b"HTTP/1.1 200 ")
    assert elapsed <= 1 + SLACK


def test_connections_past_the_limit_are_refused_until_stuck_ones_time_out(
    tmp_path: Path,
) -> None:
    store = f"sqlite:///{tmp_path / 'limit.sqlite3'}"
    options = ("--limit-concurrency", "8", "--header-timeout", str(HEADER_TIMEOUT))
    with running_server(store, *options) as base:
        port = port_of(base)
        statuses: list[int] = []

        def meanwhile() -> None:
            statuses.append(httpx.get(f"{base}/metadata").status_code)

        stuck_clients(port, [b""] * 8, meanwhile)
        after = httpx.get(f"{base}/metadata")

    assert statuses == [503]
    assert after.status_code == 200


def test_mllp_idle_connections_are_closed_and_extra_ones_refused(tmp_path: Path) -> None:
    mllp_port = free_port()
    options = (
        "--mllp-port",
        str(mllp_port),
        "--mllp-idle-timeout",
        "1",
        "--mllp-max-connections",
        "2",
    )
    with running_server(f"sqlite:///{tmp_path / 'mllp.sqlite3'}", *options):
        first = socket.create_connection(("127.0.0.1", mllp_port))
        second = socket.create_connection(("127.0.0.1", mllp_port))
        time.sleep(0.2)  # both accepted before the third knocks
        with first, second, socket.create_connection(("127.0.0.1", mllp_port)) as third:
            refused, _ = until_closed(third, SLACK)
            idle_first, _ = until_closed(first, 1 + SLACK)
            idle_second, _ = until_closed(second, SLACK)
        with socket.create_connection(("127.0.0.1", mllp_port)) as fourth:
            fourth.sendall(frame(b"MSH|^~\\&|A|B|C|D|20240101||ACK|1|P|2.5\rMSA|AA|0"))
            later, _ = until_closed(fourth, 1 + SLACK)

    assert refused < 0.5
    assert 0.5 < idle_first <= 1 + SLACK
    assert idle_second <= SLACK
    assert 0.5 < later <= 1 + SLACK  # a slot freed: accepted, then closed when idle


def test_a_500_closes_its_keep_alive_connection_openly(tmp_path: Path) -> None:
    with running_raising_app(f"sqlite:///{tmp_path / 'raise.sqlite3'}") as base:
        origin = base.removesuffix("/fhir")
        with httpx.Client() as client:
            failed = client.get(f"{origin}{RAISING_PATH}")
            # The client was told the connection ends, so it opens a new one: no reset.
            after = client.get(f"{base}/metadata")

    assert failed.status_code == 500
    assert failed.headers["connection"] == "close"
    assert failed.json()["issue"][0]["code"] == "exception"
    assert after.status_code == 200

"""Start the real ``fhirport serve`` process on a free port, for end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(store_url: str, *extra: str, timeout: float = 30.0) -> Iterator[str]:
    """Run ``fhirport serve`` and yield its FHIR base URL once /metadata answers."""
    port = free_port()
    executable = Path(sys.executable).parent / "fhirport"
    command = [str(executable), "serve", "--port", str(port), "--store", store_url, *extra]
    with running_command(command, port, timeout) as base:
        yield base


@contextmanager
def logged_server(
    store_url: str, log: Path, *extra: str, timeout: float = 30.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As ``running_server``, yielding the process too (a test may kill it), its output
    going to the file ``log``."""
    port = free_port()
    executable = Path(sys.executable).parent / "fhirport"
    command = [str(executable), "serve", "--port", str(port), "--store", store_url, *extra]
    with log.open("wb") as output, running_process(command, port, timeout, output) as started:
        yield started


@contextmanager
def running_command(command: list[str], port: int, timeout: float = 30.0) -> Iterator[str]:
    """Run a server command listening on ``port``; yield its FHIR base once /metadata answers."""
    with running_process(command, port, timeout) as (base, _):
        yield base


@contextmanager
def running_process(
    command: list[str], port: int, timeout: float = 30.0, output: IO[bytes] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As ``running_command``, yielding the process too (a test may kill it); its output
    goes to ``output`` when given (a file a long run will not fill, as it may a pipe)."""
    process = subprocess.Popen(command, stdout=output or subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                said = process.stdout.read().decode() if process.stdout else "(see its output file)"
                raise RuntimeError(f"{command[0]} exited early:\n{said}")
            try:
                if httpx.get(f"{base}/metadata", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{command[0]} did not start in time")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()

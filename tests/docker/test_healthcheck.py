"""The image's HEALTHCHECK, run here as docker/Dockerfile declares it (no daemon needed):
healthy once ``/readyz`` passes on the port the server was told to use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hl7.tls import client_context
from tests.e2e.server_process import free_port, running_server
from tests.e2e.test_tls import serving
from tests.hl7.certificates import Authority

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"


def _instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's exec-form CMD, its image paths mapped back to this checkout."""
    (declared,) = [i for i in _instructions() if i.startswith("HEALTHCHECK ")]
    command: list[str] = json.loads(declared.split(" CMD ", 1)[1])
    copied = {}
    for instruction in _instructions():
        words = instruction.split()
        if words[0] == "COPY" and not words[1].startswith("--"):
            copied[words[2]] = str(ROOT / words[1])
    mapped = [copied.get(argument, argument) for argument in command]
    assert mapped[0] == "python"
    return [sys.executable, *mapped[1:]]


def run_check(port: int, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FHIRPORT_PORT": str(port), **extra}
    return subprocess.run(
        healthcheck_command(), env=env, capture_output=True, text=True, timeout=30
    )


def test_healthy_when_the_server_on_its_configured_port_is_ready(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'store.sqlite3'}", "--audit", "off") as base:
        port = int(base.split(":")[2].split("/")[0])

        done = run_check(port)

    assert done.returncode == 0, done.stderr


def test_unhealthy_with_one_line_when_nothing_answers() -> None:
    done = run_check(free_port())

    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "/readyz" in done.stderr


def test_healthy_over_https_when_the_server_serves_it(tmp_path: Path) -> None:
    ca = Authority(tmp_path, "hospital")
    server = ca.issue("fhir.hospital.test", server=True)
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "fhirport"),
        "serve",
        *("--port", str(port), "--store", f"sqlite:///{tmp_path / 'tls.sqlite3'}"),
        *("--tls-cert", str(server.cert), "--tls-key", str(server.key), "--audit", "off"),
    ]

    with serving(command, f"https://127.0.0.1:{port}/fhir", client_context(ca.cert)):
        done = run_check(port, FHIRPORT_TLS_CERT=str(server.cert))

    assert done.returncode == 0, done.stderr

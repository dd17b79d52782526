"""``fhirport serve --mllp-port``: the real process, an MLLP client socket, then HTTP."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from hl7.framing import frame
from tests.e2e.server_process import free_port, running_server
from tests.ingest.messages import adt

pytestmark = pytest.mark.slow


def send(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(frame(payload))
        answer = b""
        while not answer.endswith(b"\x1c\r"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.strip(b"\x0b\x1c\r")


def test_serve_listens_for_mllp_beside_the_fhir_api(tmp_path: Path) -> None:
    mllp_port = free_port()
    store = f"sqlite:///{tmp_path / 'mllp.sqlite3'}"
    with running_server(store, "--mllp-port", str(mllp_port)) as base:
        ack = send(mllp_port, adt("SERVE1"))
        ledger = httpx.get(
            f"{base}/$hl7v2-ledger", params={"sender": "LEGACY|NORTH", "control-id": "SERVE1"}
        ).json()
        touched = [p for p in ledger["parameter"] if p["name"] == "touched"]
        reference = touched[0]["valueReference"]["reference"].split("/_history/")[0]
        patient = httpx.get(f"{base}/{reference}")

    assert b"MSA|AA|SERVE1" in ack
    assert patient.status_code == 200
    assert patient.json()["meta"]["source"] == "urn:hl7v2:LEGACY|NORTH#SERVE1"

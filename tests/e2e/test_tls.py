"""``fhirport serve`` with HTTPS and with MLLP over mutual TLS: the real process, real sockets."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hl7.er7 import parse
from hl7.mllp_client import send_messages
from hl7.tls import client_context
from tests.e2e.server_process import free_port
from tests.hl7.certificates import Authority
from tests.ingest.messages import adt

pytestmark = pytest.mark.slow


@contextmanager
def serving(command: list[str], base: str, trust: ssl.SSLContext) -> Iterator[None]:
    """Run ``command`` until ``base``/metadata answers over HTTPS (trusting ``trust``)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"the server exited early:\n{output}")
            try:
                if httpx.get(f"{base}/metadata", verify=trust, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start in time"
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_https_and_mllp_over_mutual_tls(tmp_path: Path) -> None:
    ca = Authority(tmp_path, "hospital")
    server = ca.issue("fhir.hospital.test", server=True)
    sender = ca.issue("ehr-gateway", organization="North")
    http_port, mllp_port = free_port(), free_port()
    senders = tmp_path / "senders.yaml"
    senders.write_text(
        "senders:\n  - {application: LEGACY, facility: NORTH, messages: ['ADT^*'],\n"
        "     certificate_subjects: ['CN=ehr-gateway,O=North']}\n",
        encoding="utf-8",
    )
    command = [
        str(Path(sys.executable).parent / "fhirport"),
        "serve",
        *("--port", str(http_port), "--store", f"sqlite:///{tmp_path / 'tls.sqlite3'}"),
        *("--tls-cert", str(server.cert), "--tls-key", str(server.key)),
        *("--mllp-port", str(mllp_port), "--hl7-senders", str(senders)),
        *("--mllp-tls-cert", str(server.cert), "--mllp-tls-key", str(server.key)),
        *("--mllp-tls-client-ca", str(ca.cert)),
    ]
    base = f"https://127.0.0.1:{http_port}/fhir"
    trust = client_context(ca.cert)

    with serving(command, base, trust):
        metadata = httpx.get(f"{base}/metadata", verify=trust)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{http_port}/fhir/metadata", timeout=5)
        mutual = client_context(ca.cert, sender.cert, sender.key)
        (ack,) = asyncio.run(send_messages("127.0.0.1", mllp_port, [adt("E2E-TLS")], ssl=mutual))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            asyncio.run(send_messages("127.0.0.1", mllp_port, [adt("NO-CERT")], ssl=trust))

    assert metadata.status_code == 200
    assert metadata.headers["x-content-type-options"] == "nosniff"
    msa = parse(ack).segment("MSA")
    assert msa is not None
    assert (msa.get(1), msa.get(2)) == ("AA", "E2E-TLS")

"""MLLP over TLS and mutual TLS, over real sockets on 127.0.0.1 with throwaway certificates."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hl7.er7 import parse
from hl7.mllp import Handler, MllpServer, Peer, serve_mllp, serve_mllp_for_peers
from hl7.mllp_client import send_messages
from hl7.tls import client_context, server_context
from tests.hl7.certificates import Authority, Issued
from tests.hl7.test_mllp import HOST, acknowledge, adt, msa

pytestmark = pytest.mark.anyio

# A TLS 1.3 server checks the client's certificate after the client thinks the handshake
# is done, so a refusal shows on the client's first read: an SSL alert or a reset.
REFUSED = (ssl.SSLError, ConnectionError)


@dataclass(frozen=True, slots=True)
class Pki:
    ca: Authority
    server: Issued
    client: Issued
    stranger: Issued  # a client certificate from another CA


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca = Authority(tmp_path, "hospital")
    other = Authority(tmp_path, "elsewhere")
    return Pki(
        ca,
        ca.issue("mllp.hospital.test", server=True),
        ca.issue("lab-gateway", organization="North Lab"),
        other.issue("lab-gateway", organization="North Lab"),
    )


@pytest.fixture
async def tls_server(pki: Pki) -> AsyncIterator[MllpServer]:
    context = server_context(pki.server.cert, pki.server.key)
    async with await serve_mllp(HOST, 0, acknowledge, ssl=context) as listening:
        yield listening


@dataclass
class Mutual:
    """A mutual-TLS listener, the peers of the messages it answered, the handshakes it refused."""

    listening: MllpServer
    peers: list[Peer]
    refused: list[tuple[Peer, str]]
    noticed: asyncio.Event  # set at the first refused handshake

    @property
    def port(self) -> int:
        return self.listening.port


@pytest.fixture
async def mtls(pki: Pki) -> AsyncIterator[Mutual]:
    peers: list[Peer] = []
    refused: list[tuple[Peer, str]] = []
    noticed = asyncio.Event()

    def for_peer(peer: Peer) -> Handler:
        async def handle(payload: bytes) -> bytes:
            peers.append(peer)
            return await acknowledge(payload)

        return handle

    def on_tls_failure(peer: Peer, reason: str) -> None:
        refused.append((peer, reason))
        noticed.set()

    context = server_context(pki.server.cert, pki.server.key, client_ca=pki.ca.cert)
    async with await serve_mllp_for_peers(
        HOST, 0, for_peer, ssl=context, on_tls_failure=on_tls_failure
    ) as listening:
        yield Mutual(listening, peers, refused, noticed)


async def send(port: int, context: ssl.SSLContext | None, tag: str) -> list[bytes]:
    async with asyncio.timeout(10):
        return await send_messages(HOST, port, [adt(tag)], ssl=context)


async def refusals(mtls: Mutual) -> list[tuple[Peer, str]]:
    """The refused handshakes, once the listener has noticed one (the client may see first)."""
    async with asyncio.timeout(5):
        await mtls.noticed.wait()
    return mtls.refused


async def test_tls_handshake_and_exchange(pki: Pki, tls_server: MllpServer) -> None:
    (answer,) = await send(tls_server.port, client_context(pki.ca.cert), "TLS1")

    assert msa(answer) == ("AA", "TLS1")


async def test_a_plain_client_gets_no_answer_from_a_tls_listener(tls_server: MllpServer) -> None:
    with pytest.raises(ConnectionError):
        await send(tls_server.port, None, "PLAIN")


async def test_the_client_refuses_a_server_from_an_unknown_ca(
    tmp_path: Path, tls_server: MllpServer
) -> None:
    unknown = Authority(tmp_path, "unknown")

    with pytest.raises(ssl.SSLCertVerificationError):
        await send(tls_server.port, client_context(unknown.cert), "UNTRUSTED")


async def test_mutual_tls_accepts_a_client_certificate_from_the_ca(pki: Pki, mtls: Mutual) -> None:
    context = client_context(pki.ca.cert, pki.client.cert, pki.client.key)

    (answer,) = await send(mtls.port, context, "MTLS1")

    assert msa(answer) == ("AA", "MTLS1")
    assert mtls.refused == []
    (peer,) = mtls.peers
    assert peer.host == HOST
    assert peer.certificate_subject == "CN=lab-gateway,O=North Lab"


async def test_mutual_tls_refuses_a_client_without_a_certificate(pki: Pki, mtls: Mutual) -> None:
    with pytest.raises(REFUSED):
        await send(mtls.port, client_context(pki.ca.cert), "NOCERT")

    assert mtls.peers == []
    (peer, reason), *_ = await refusals(mtls)
    assert peer.host == HOST
    assert peer.certificate_subject is None
    assert "CERTIFICATE" in reason


async def test_mutual_tls_refuses_a_client_certificate_from_another_ca(
    pki: Pki, mtls: Mutual
) -> None:
    context = client_context(pki.ca.cert, pki.stranger.cert, pki.stranger.key)

    with pytest.raises(REFUSED):
        await send(mtls.port, context, "STRANGER")

    assert mtls.peers == []
    (_, reason), *_ = await refusals(mtls)
    assert "CERTIFICATE_VERIFY_FAILED" in reason


async def test_the_listener_serves_on_after_refused_handshakes(pki: Pki, mtls: Mutual) -> None:
    for _ in range(3):
        with pytest.raises(REFUSED):
            await send(mtls.port, client_context(pki.ca.cert), "NOCERT")
    context = client_context(pki.ca.cert, pki.client.cert, pki.client.key)

    (answer,) = await send(mtls.port, context, "AFTER")

    assert msa(answer) == ("AA", "AFTER")
    assert parse(answer).msh.get(5) == "LEGACY"  # the ACK goes back to the sender

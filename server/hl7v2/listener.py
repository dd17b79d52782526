"""The HL7v2 side of the running server: the runtime's ingestor and record queries, and
the MLLP listener.

Started and stopped in the app's lifespan, on the parts server.runtime built. The
listener hands each framed message to the pipeline and sends back the ACK the pipeline
built after its write committed. With ``--mllp-tls-cert``/``--mllp-tls-key`` it speaks
TLS (mutual TLS with ``--mllp-tls-client-ca``). With an allowlist (``--hl7-senders``)
it answers AR to a sender not listed, or to a message type its sender may not send,
before anything else sees the message; without one it listens only on loopback
(server.hl7v2.senders).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

from hl7.mllp import ConnectionHandler, Handler, MllpServer, Peer, serve_mllp_for_peers
from hl7.tls import server_context
from server.audit import AuditTrail
from server.audit.messages import record_message
from server.hl7v2.ingest.prepare import prepare
from server.hl7v2.ingest.service import Ingestor
from server.hl7v2.query.service import RecordQueries
from server.hl7v2.senders import (
    SenderAllowlist,
    check_exposure,
    handshake_recorder,
    load_senders,
    refusal_answer,
)
from server.runtime import Runtime
from server.settings import Settings

log = logging.getLogger("fhirport.hl7")


def mllp_handler(
    ingestor: Ingestor,
    queries: RecordQueries,
    audit: AuditTrail | None = None,
    senders: SenderAllowlist | None = None,
) -> ConnectionHandler:
    """Return the listener's handler for each connection: the allowlist's AR, a record
    query's answer, or an ACK after the commit.

    Each ingested message is audited (a record query stores its own AuditEvent).
    """

    def for_peer(peer: Peer) -> Handler:
        return partial(_handle, ingestor, queries, audit, senders, peer)

    return for_peer


async def _handle(
    ingestor: Ingestor,
    queries: RecordQueries,
    audit: AuditTrail | None,
    senders: SenderAllowlist | None,
    peer: Peer,
    data: bytes,
) -> bytes:
    if senders is not None:
        refused = refusal_answer(data, peer, senders, audit)
        if refused is not None:
            return refused
    answer = await queries.answer(data)
    if answer is not None:
        return answer
    prepared = prepare(data, ingestor.config)
    if prepared.header.message_type.startswith("ACK"):
        return b""  # an acknowledgement is never acknowledged
    outcome = await ingestor.ingest_prepared(prepared)
    if audit is not None:
        record_message(audit, outcome, peer.host)
    return outcome.ack


@dataclass(frozen=True, slots=True)
class IngestRuntime:
    """What the server runs for HL7v2: the pipeline, the MLLP listener if any, and the
    sender allowlist (MLLP and ``$hl7v2-ingest``) if one is configured."""

    ingestor: Ingestor
    queries: RecordQueries
    mllp: MllpServer | None
    senders: SenderAllowlist | None = None


def _check_mllp_exposure(settings: Settings, senders: SenderAllowlist | None) -> None:
    """Refuse (MllpExposed) an MLLP listener without an allowlist beyond loopback."""
    check_exposure(settings.host, senders)
    if senders is None:
        log.warning(
            "MLLP accepts HL7v2 messages from every sender on %s: no allowlist "
            "(--hl7-senders / FHIRPORT_HL7_SENDERS)",
            settings.host,
        )


@asynccontextmanager
async def ingest_running(runtime: Runtime) -> AsyncIterator[IngestRuntime]:
    """Run the runtime's pipeline, with the MLLP listener up when ``mllp_port`` is set."""
    ingestor, queries, settings = runtime.ingestor, runtime.queries, runtime.settings
    senders = load_senders(settings.hl7_senders) if settings.hl7_senders else None
    if settings.mllp_port is None:
        yield IngestRuntime(ingestor, queries, None, senders)
        return
    _check_mllp_exposure(settings, senders)
    handler = mllp_handler(ingestor, queries, runtime.audit, senders)
    tls = (
        server_context(settings.mllp_tls_cert, settings.mllp_tls_key, settings.mllp_tls_client_ca)
        if settings.mllp_tls_cert is not None and settings.mllp_tls_key is not None
        else None
    )
    listener = await serve_mllp_for_peers(
        settings.host,
        settings.mllp_port,
        handler,
        idle_timeout=settings.mllp_idle_timeout,
        max_connections=settings.mllp_max_connections,
        ssl=tls,
        on_tls_failure=handshake_recorder(runtime.audit),
    )
    log.info(
        "MLLP listener on %s:%d (%s)",
        settings.host,
        listener.port,
        "plain" if tls is None else ("mutual TLS" if settings.mllp_tls_client_ca else "TLS"),
    )
    async with listener:
        yield IngestRuntime(ingestor, queries, listener, senders)

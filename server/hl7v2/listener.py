"""The HL7v2 side of the running server: the runtime's ingestor and record queries, and
the MLLP listener.

Started and stopped in the app's lifespan, on the parts server.runtime built. The
listener hands each framed message to the pipeline and sends back the ACK the pipeline
built after its write committed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from hl7.mllp import Handler, MllpServer, serve_mllp
from server.audit import AuditTrail
from server.audit.messages import record_message
from server.hl7v2.ingest.prepare import prepare
from server.hl7v2.ingest.service import Ingestor
from server.hl7v2.query.service import RecordQueries
from server.runtime import Runtime

log = logging.getLogger("fhirport.hl7")


def mllp_handler(
    ingestor: Ingestor, queries: RecordQueries, audit: AuditTrail | None = None
) -> Handler:
    """Return the listener's handler: a record query's answer, or an ACK after the commit.

    Each ingested message is audited (a record query stores its own AuditEvent).
    """

    async def handle(data: bytes) -> bytes:
        answer = await queries.answer(data)
        if answer is not None:
            return answer
        prepared = prepare(data, ingestor.config)
        if prepared.header.message_type.startswith("ACK"):
            return b""  # an acknowledgement is never acknowledged
        outcome = await ingestor.ingest_prepared(prepared)
        if audit is not None:
            record_message(audit, outcome)
        return outcome.ack

    return handle


@dataclass(frozen=True, slots=True)
class IngestRuntime:
    """What the server runs for HL7v2: the pipeline, and the MLLP listener if any."""

    ingestor: Ingestor
    queries: RecordQueries
    mllp: MllpServer | None


@asynccontextmanager
async def ingest_running(runtime: Runtime) -> AsyncIterator[IngestRuntime]:
    """Run the runtime's pipeline, with the MLLP listener up when ``mllp_port`` is set."""
    ingestor, queries, settings = runtime.ingestor, runtime.queries, runtime.settings
    if settings.mllp_port is None:
        yield IngestRuntime(ingestor, queries, None)
        return
    handler = mllp_handler(ingestor, queries, runtime.audit)
    listener = await serve_mllp(
        settings.host,
        settings.mllp_port,
        handler,
        idle_timeout=settings.mllp_idle_timeout,
        max_connections=settings.mllp_max_connections,
    )
    log.info("MLLP listener on %s:%d", settings.host, listener.port)
    async with listener:
        yield IngestRuntime(ingestor, queries, listener)

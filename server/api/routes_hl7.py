"""HL7v2 over HTTP: ``$hl7v2-ingest``, the dry-run ``$hl7v2-convert``, ``$hl7v2-ledger``,
and the outbound feed's ``$hl7v2-outbox`` and ``$hl7v2-outbox-requeue``.

The body of the two POST operations is one or more ER7 messages: one after another,
MLLP-framed, or an FHS/BHS batch (hl7.batch splits them). Messages are applied in
the order they appear in the body.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hl7.batch import split_messages
from hl7.mllp import Peer
from server.api.dependencies import (
    Access,
    AppSettings,
    Audit,
    Hl7Ingestor,
    Hl7Queries,
    Hl7Senders,
    Service,
)
from server.api.negotiation import require_body_type, response_format
from server.api.public_urls import public_base
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.audit.draft import audit_touched
from server.auth.operations import require_operation
from server.errors import BusinessRuleViolation, Forbidden, InvalidRequest, Issue, NotFound
from server.fhir.validation import parse_json_object
from server.hl7v2.ingest.bundles import batch_response, ledger_parameters, transaction_bundle
from server.hl7v2.ingest.model import IngestOutcome
from server.hl7v2.ledger_summary import day_start, first_day, summary_parameters, window_days
from server.hl7v2.outbound.listing import outbox_parameters, outbox_query
from server.hl7v2.outbound.requeue import requeue_ids, requeue_parameters
from server.hl7v2.senders import refused_in_batch

ER7_MEDIA_TYPES = {
    "x-application/hl7-v2+er7",
    "application/hl7-v2",
    "application/hl7-v2+er7",
    "application/edi-hl7",
    "text/plain",
    "application/octet-stream",
}


async def _messages(request: Request, settings: AppSettings) -> list[bytes]:
    require_body_type(request, ER7_MEDIA_TYPES)
    body = await read_body(request, settings.max_body_bytes)
    messages = [chunk.data for chunk in split_messages(body)]
    if not messages:
        raise InvalidRequest("The body holds no HL7v2 message")
    return messages


async def hl7v2_ingest(
    request: Request,
    settings: AppSettings,
    ingestor: Hl7Ingestor,
    access: Access,
    senders: Hl7Senders,
    audit: Audit,
) -> Response:
    """Apply each message; answer a batch-response with one entry per message.

    With a sender allowlist, a body holding any message its sender may not send (as
    MLLP would answer AR) is refused whole: 403, nothing applied.
    """
    require_operation(access, "hl7v2-ingest")
    messages = await _messages(request, settings)
    if senders is not None:
        client = request.client
        peer = Peer(client.host, client.port, None) if client else Peer("", 0, None)
        refused = refused_in_batch(messages, peer, senders, audit)
        if refused:
            raise Forbidden("; ".join(refused) + ". Nothing was applied.")
    outcomes = await ingestor.ingest_many(messages)
    audit_touched(
        [t.reference for o in outcomes for t in o.touched],
        [o.header.message_type for o in outcomes],
    )
    return fhir_response(batch_response(outcomes), response_format(request))


async def hl7v2_query(
    request: Request, settings: AppSettings, queries: Hl7Queries, access: Access
) -> Response:
    """Answer one QRY^A19 or QBP^Q22 with its ER7 response (ADR^A19, RSP^K22)."""
    require_operation(access, "hl7v2-query")
    messages = await _messages(request, settings)
    if len(messages) != 1:
        raise InvalidRequest("$hl7v2-query takes exactly one query message")
    answer = await queries.answer(messages[0])
    if answer is None:
        raise InvalidRequest(
            "The body is not a record query (QRY^A19 or QBP^Q22); send other messages to "
            "$hl7v2-ingest"
        )
    return Response(answer, media_type="x-application/hl7-v2+er7")


async def hl7v2_convert(
    request: Request, settings: AppSettings, ingestor: Hl7Ingestor, access: Access
) -> Response:
    """Return the transaction Bundle the messages would apply; nothing is stored."""
    require_operation(access, "hl7v2-convert")
    messages = await _messages(request, settings)
    outcomes = await ingestor.ingest_many(messages, dry_run=True)
    refused = [(n, o) for n, o in enumerate(outcomes, 1) if not o.outcome.accepted]
    if refused:
        raise BusinessRuleViolation(
            "Some messages cannot be converted",
            issues=[_refusal(n, o) for n, o in refused],
        )
    bundle = transaction_bundle(public_base(request), outcomes)
    return fhir_response(bundle, response_format(request))


def _refusal(number: int, outcome: IngestOutcome) -> Issue:
    where = f" at {outcome.error_location}" if outcome.error_location else ""
    return Issue(
        f"Message {number} ({outcome.header.message_type} {outcome.header.control_id}): "
        f"{outcome.outcome.value} ({outcome.ack_code}): {outcome.reason}{where}",
        "processing",
    )


async def hl7v2_ledger(request: Request, ingestor: Hl7Ingestor, access: Access) -> Response:
    """Return what happened to one message: ``?sender=APP|FACILITY&control-id=MSH-10``."""
    require_operation(access, "hl7v2-ledger")
    sender = request.query_params.get("sender")
    control_id = request.query_params.get("control-id")
    if not sender or not control_id:
        raise InvalidRequest(
            "Both sender (MSH-3|MSH-4) and control-id (MSH-10) are required",
            expression="sender" if not sender else "control-id",
        )
    entry = await ingestor.store.ledger_get(sender, control_id)
    if entry is None:
        raise NotFound(f"No message {control_id!r} from {sender!r} was received")
    return fhir_response(ledger_parameters(entry), response_format(request))


async def hl7v2_ledger_summary(request: Request, ingestor: Hl7Ingestor, access: Access) -> Response:
    """Return the ledger's messages per UTC day and outcome: ``?days=N`` (default 7)."""
    require_operation(access, "hl7v2-ledger-summary")
    days = window_days(request.query_params.get("days"))
    start = first_day(days)
    counts = await ingestor.store.ledger_counts(day_start(start))
    return fhir_response(summary_parameters(counts, start, days), response_format(request))


async def hl7v2_outbox(request: Request, service: Service, access: Access) -> Response:
    """Return the outbound feed's entries: pending, sent, failed (server.hl7v2.outbound)."""
    require_operation(access, "hl7v2-outbox")
    query = outbox_query(request.query_params)
    entries = await service.store.outbox_list(query)
    body = outbox_parameters(entries, query, public_base(request))
    return fhir_response(body, response_format(request))


async def hl7v2_outbox_requeue(
    request: Request, settings: AppSettings, service: Service, access: Access
) -> Response:
    """Make dead letters of the outbound feed pending again (server.hl7v2.outbound.requeue)."""
    require_operation(access, "hl7v2-outbox-requeue")
    require_body_type(request)
    asked = requeue_ids(parse_json_object(await read_body(request, settings.max_body_bytes)))
    requeued = await service.store.outbox_requeue(asked)
    return fhir_response(requeue_parameters(asked, requeued), response_format(request))


ROUTES = (
    Row("/$hl7v2-ingest", ("POST",), hl7v2_ingest),
    Row("/$hl7v2-query", ("POST",), hl7v2_query),
    Row("/$hl7v2-convert", ("POST",), hl7v2_convert),
    Row("/$hl7v2-ledger", ("GET",), hl7v2_ledger),
    Row("/$hl7v2-ledger-summary", ("GET",), hl7v2_ledger_summary),
    Row("/$hl7v2-outbox", ("GET",), hl7v2_outbox),
    Row("/$hl7v2-outbox-requeue", ("POST",), hl7v2_outbox_requeue),
)

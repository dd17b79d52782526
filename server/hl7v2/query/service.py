"""Answer HL7 v2 record queries through the consent engine: QRY^A19 and QBP^Q22.

``answer_query`` takes one parsed query and answers it:

1. the sender (MSH-3 / MSH-4) must be configured (``QueryConfig``): it gives the actor
   and the purpose of use; an unknown sender is refused (MSA AR, QAK AR, ERR);
2. the query is read (``record_query_criteria``); one that cannot be answered as sent
   (no QRD / QPD, no criteria, a field that cannot be searched) gets MSA AE, QAK AE, ERR;
3. the candidates are decided by the consent engine (``record_query_release``); a
   patient it denies is not found, so an opted-out patient gets MSA AA, QAK NF, no data;
4. the answer's record, one AuditEvent (``record_query_audit``), is stored before the
   answer is returned: no disclosure without its record. When the store fails, the
   answer is an AE without data (the sender may ask again).

``docs/hl7v2-queries.md`` describes the messages and the configuration.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Final

from hl7.ack import AckCode, AckError, ack_bytes, build_ack
from hl7.er7 import Message, ParseError, parse
from mappers.config import MappingConfig
from mappers.fhir_to_v2 import in1_segment, pid_segment
from server.errors import InvalidRequest
from server.fhir.clock import fhir_instant, now_us
from server.hl7v2.query.audit import AnsweredQuery, query_audit_event
from server.hl7v2.query.config import QueryConfig
from server.hl7v2.query.criteria import (
    PatientQuery,
    QueryKind,
    QueryRefusal,
    query_kind,
    read_query,
)
from server.hl7v2.query.release import Released, released_patients
from server.hl7v2.query.response import QueryStatus, answer_text
from server.interactions import ResourceService
from server.roi.versions import created
from server.search.engine import SearchEngine
from server.storage.port import StoredVersion

__all__ = ["QueryAnswer", "QueryStatus", "RecordQueries", "answer_query", "is_record_query"]

log = logging.getLogger("fhirport.hl7")

NOT_AUTHORIZED: Final = "207"  # table 0357 has no "not authorized": application error
PATIENT_CLASS_UNKNOWN: Final = "U"  # table 0004: this server holds no Encounters


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    """The answer to one query (ER7 bytes for the wire) and the record stored for it."""

    message: bytes
    status: QueryStatus
    record: StoredVersion | None  # the AuditEvent; None for AE / AR answers


def is_record_query(message: Message) -> bool:
    """True for the messages ``answer_query`` answers (QRY^A19, QBP^Q22)."""
    return query_kind(message) is not None


class RecordQueries:
    """The record-query side of an HL7 v2 endpoint: answers queries, leaves the rest.

    ``answer`` returns None for anything that is not a record query (or cannot be
    parsed at all), so a dispatcher hands those on to ingest, which answers them.
    """

    def __init__(
        self,
        service: ResourceService,
        engine: SearchEngine,
        config: QueryConfig,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.service = service
        self.engine = engine
        self.config = config
        self.clock = clock or partial(datetime.now, UTC)

    async def answer(self, raw: bytes) -> bytes | None:
        """The ER7 answer to ``raw`` when it is a record query, else None."""
        try:
            message = parse(raw)
        except ParseError:
            return None
        if not is_record_query(message):
            return None
        now = self.clock()
        answered = await answer_query(message, raw, self.service, self.engine, self.config, now)
        return answered.message


async def answer_query(
    message: Message,
    raw: bytes,
    service: ResourceService,
    engine: SearchEngine,
    config: QueryConfig,
    now: datetime,
) -> QueryAnswer:
    """Answer one QRY^A19 or QBP^Q22 with ADR^A19 or RSP^K22; never raises for bad input.

    ``service`` stores the answer's record; ``now`` (aware) decides which Consents are in
    force and stamps the answer and record.
    """
    kind = query_kind(message)
    if kind is None:
        error = AckError(
            f"{message.message_code}^{message.trigger_event} is no record query", "200"
        )
        ack = build_ack(message, AckCode.REJECT, [error])
        return QueryAnswer(ack_bytes(ack), QueryStatus.AR, None)
    control_id = uuid.uuid4().hex[:20]
    reply = partial(_reply, message, kind, control_id, now)
    sender = config.sender(message.sending_application, message.sending_facility)
    if sender is None:
        refusal = AckError(
            f"{message.sending_application}|{message.sending_facility} is not authorized "
            "to query records here",
            NOT_AUTHORIZED,
            "MSH^1^4",
        )
        return reply(QueryStatus.AR, _tag(message, kind), [], [refusal])
    try:
        query = read_query(message, config.mapping, config.max_candidates)
        released = await released_patients(engine, query, sender, config, now)
    except QueryRefusal as refusal:
        return reply(QueryStatus.AE, _tag(message, kind), [], [refusal.error])
    except InvalidRequest as exc:  # criteria that parse as v2 but are no valid search
        return reply(QueryStatus.AE, _tag(message, kind), [], [AckError(str(exc), "102")])
    except Exception:  # the store failed: nothing was disclosed, the sender may ask again
        log.exception("Cannot look up the answer to query %s", message.control_id)
        failure = AckError("The query could not be answered now; send it again", "207")
        return reply(QueryStatus.AE, _tag(message, kind), [], [failure])
    answered = AnsweredQuery(
        query=message,
        raw=raw,
        sender=sender,
        answer_control_id=control_id,
        patient_ids=[str(r.patient["id"]) for r in released],
        released=Counter(t for r in released for t in _types(r)),
        recorded=fhir_instant(int(now.timestamp() * 1_000_000)),
        server=engine.base_urls[0] if engine.base_urls else "urn:fhirport",
    )
    try:
        record = await _store_record(service, query_audit_event(answered))
    except Exception:
        log.exception("Cannot record the answer to query %s", message.control_id)
        failure = AckError("The answer could not be recorded; send the query again", "207")
        return reply(QueryStatus.AE, query.tag, [], [failure])
    status = QueryStatus.OK if released else QueryStatus.NF
    return reply(status, query.tag, _body(query, released, message, config.mapping), [], record)


def _reply(
    message: Message,
    kind: QueryKind,
    control_id: str,
    now: datetime,
    status: QueryStatus,
    tag: str,
    body: list[str],
    errors: list[AckError],
    record: StoredVersion | None = None,
) -> QueryAnswer:
    text = answer_text(
        message, kind, status, body, tag=tag, control_id=control_id, now=now, errors=errors
    )
    return QueryAnswer(ack_bytes(text), status, record)


def _tag(message: Message, kind: QueryKind) -> str:
    """The query tag as sent (QRD-4 / QPD-2), for answers to queries that cannot be read."""
    segment = message.segment("QRD" if kind is QueryKind.A19 else "QPD")
    return "" if segment is None else segment.get(4 if kind is QueryKind.A19 else 2)


def _types(released: Released) -> list[str]:
    return ["Patient"] + ["Coverage"] * len(released.coverages)


def _body(
    query: PatientQuery, released: list[Released], message: Message, mapping: MappingConfig
) -> list[str]:
    encoding = message.encoding
    if query.kind is QueryKind.Q22:
        return [
            pid_segment(r.patient, encoding, mapping, number)
            for number, r in enumerate(released, start=1)
        ]
    body: list[str] = []
    for r in released:
        body.append(pid_segment(r.patient, encoding, mapping))
        body.append(encoding.field.join(("PV1", "1", PATIENT_CLASS_UNKNOWN)))
        body += [
            in1_segment(c, encoding, mapping, number) for number, c in enumerate(r.coverages, 1)
        ]
    return body


async def _store_record(service: ResourceService, event: dict[str, object]) -> StoredVersion:
    """Validate, stamp, index and store the AuditEvent of an answer."""
    write = created(service, dict(event), now_us())
    await service.store.write([write])
    return write.version

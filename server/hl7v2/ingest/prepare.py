"""Parse and map one message into a :class:`Prepared`: pure CPU, no I/O, never raises.

Runs in the caller or in a worker process (everything it returns pickles). Whatever
goes wrong becomes a Failure the pipeline records and answers: unparseable input or
an unsupported message type is rejected (AR); a mapping error fails (AE).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace

from hl7.er7 import Message, ParseError, parse
from mappers.config import MappingConfig
from mappers.dispatch import map_message
from mappers.result import Action, MappingError, MappingResult, UnsupportedMessage
from server.errors import InvalidResource
from server.fhir.control_chars import strip_control_characters
from server.fhir.validation import validate_resource
from server.hl7v2.ingest.model import Failure, Header, Outcome, Prepared
from server.hl7v2.ingest.verdicts import PassedValidation
from server.registry import hl7v2_write_order

log = logging.getLogger("fhirport.hl7")

UNKNOWN_SENDER = "unknown|unknown"
# The mapped resources in the order they are written: the registry ranks the types.
WRITE_ORDER = hl7v2_write_order()
# Resources that passed validation in this process (a worker's lifetime).
_PASSED = PassedValidation()


def prepare(data: bytes, config: MappingConfig, *, validate: bool = False) -> Prepared:
    """Parse and map ``data`` (one ER7 message).

    ``validate`` checks every mapped resource now: worth it in a worker process, where
    it runs in parallel. Otherwise the pipeline validates only what it will write
    (re-importing an archive then validates nothing that is unchanged).
    """
    try:
        message = parse(data)
    except ParseError as exc:
        header = Header(UNKNOWN_SENDER, _digest(data), "", None, bytes(data))
        return Prepared(
            header, failure=Failure(Outcome.REJECTED, exc.reason, exc.code, exc.location)
        )
    return prepare_message(message, data, config, validate=validate)


def prepare_message(
    message: Message, data: bytes, config: MappingConfig, *, validate: bool = False
) -> Prepared:
    """Map a message already parsed from ``data`` (see ``prepare``)."""
    header = header_of(message, data)
    prepared = Prepared(header, msh=message.msh.raw)
    try:
        result = map_message(message, config, write_order=WRITE_ORDER)
        _remove_control_characters(result)
    except UnsupportedMessage as exc:
        prepared.failure = Failure(Outcome.OUT_OF_SCOPE, str(exc), exc.code, exc.location)
    except MappingError as exc:
        prepared.failure = Failure(Outcome.FAILED, str(exc), exc.code, exc.location)
    except Exception:
        # A mapper bug must not take the listener down; the message is kept in the ledger.
        log.exception("Mapping %s %s failed unexpectedly", header.message_type, header.control_id)
        prepared.failure = Failure(Outcome.FAILED, "Internal error while mapping the message")
    else:
        result.warnings[:0] = message.warnings
        prepared.result = result
        prepared.header = replace(header, event_time=result.event_epoch_us)
        if validate:
            prepared.failure = _validate(result)
            prepared.validated = prepared.failure is None
    return prepared


def _remove_control_characters(result: MappingResult) -> None:
    """Strip C0 control characters (a field's raw bytes or ``\\X..\\``) from the mapped
    strings, which FHIR cannot hold; warn where. The ledger's raw message keeps them."""
    for mapped in result.resources:
        resource = mapped.resource
        for where in strip_control_characters(resource):
            reference = f"{resource.get('resourceType')}/{resource.get('id')}"
            result.warnings.append(f"Control characters removed from {where} ({reference})")


def _validate(result: MappingResult) -> Failure | None:
    """Validate every mapped resource here, where it is cheap to parallelize."""
    for mapped in result.resources:
        if mapped.action is Action.DELETE:
            continue
        resource = mapped.resource
        # Payers, practitioners and locations, and a patient's unchanged Patient and
        # Coverage, come again and again: identical content is validated once.
        key = _PASSED.key(resource)
        if key in _PASSED:
            continue
        try:
            validate_resource(resource, str(resource.get("resourceType")))
        except InvalidResource as exc:
            return invalid(exc)
        _PASSED.add(key)
    return None


def invalid(exc: InvalidResource) -> Failure:
    """The AE failure for a mapped resource that is not valid FHIR."""
    reason = "; ".join(f"{'/'.join(i.expression) or '-'}: {i.diagnostics}" for i in exc.issues)
    return Failure(Outcome.FAILED, f"Mapped resource is not valid: {reason}")


def header_of(message: Message, data: bytes) -> Header:
    """Return the ledger facts of a parsed message (the event time comes from the mapping)."""
    event = message.trigger_event
    return Header(
        sender=f"{message.sending_application}|{message.sending_facility}",
        # A message without MSH-10 is keyed by its content: a resend is still a duplicate.
        control_id=message.control_id or _digest(data),
        message_type=f"{message.message_code}^{event}" if event else message.message_code,
        event_time=None,
        raw=bytes(data),
    )


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()[:32]

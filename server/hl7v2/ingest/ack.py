"""The ACK for an ingest outcome: MSA with the outcome's code, ERR for AE and AR (hl7.ack)."""

from __future__ import annotations

from hl7.ack import AckCode, AckError, ack_bytes, ack_for_raw
from hl7.ack import build_ack as ack_for_message
from hl7.er7 import ParseError, parse
from server.hl7v2.ingest.model import Failure, Outcome, Prepared

# MSA-3 text (before v2.7) for AA answers that did not apply anything new.
_NOTES: dict[Outcome, str] = {
    Outcome.DUPLICATE: "Duplicate of a message already received; not applied again",
    Outcome.STALE: "Older than the data held; kept the newer data",
}


def build_ack(
    prepared: Prepared,
    outcome: Outcome,
    failure: Failure | None,
    *,
    code_override: str | None = None,
    text: str = "",
) -> bytes:
    """Return the ACK bytes for ``prepared`` with ``outcome``'s MSA code (or ``code_override``)."""
    code = AckCode(code_override or outcome.ack_code)
    errors = [AckError(failure.reason, failure.code, failure.location)] if failure else []
    try:
        # The MSH alone is enough: the ACK copies its delimiters, parties, id and version.
        original = parse(prepared.msh) if prepared.msh else None
    except ParseError:
        original = None
    if original is None:
        error = errors[0] if errors else AckError("The message could not be read", "100")
        return ack_bytes(ack_for_raw(prepared.header.raw, error, code))
    return ack_bytes(ack_for_message(original, code, errors, text=text or _NOTES.get(outcome, "")))

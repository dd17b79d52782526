"""Ingest outcomes as FHIR: batch-response entries, the dry-run transaction, ledger Parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.errors import Issue, operation_outcome
from server.fhir.clock import fhir_instant, now_us
from server.hl7v2.ingest.model import IngestOutcome, Outcome
from server.storage.port import LedgerEntry

# The HTTP status an entry of the $hl7v2-ingest batch-response carries per outcome.
_STATUS: dict[Outcome, str] = {
    Outcome.APPLIED: "200 OK",
    Outcome.DUPLICATE: "200 OK",
    Outcome.STALE: "200 OK",
    Outcome.REJECTED: "400 Bad Request",
    Outcome.FAILED: "422 Unprocessable Entity",
    Outcome.OUT_OF_SCOPE: "400 Bad Request",
}
_ERROR_CODE: dict[Outcome, str] = {
    Outcome.REJECTED: "not-supported",
    Outcome.FAILED: "processing",
    Outcome.OUT_OF_SCOPE: "not-supported",
}


def outcome_issues(outcome: IngestOutcome) -> list[Issue]:
    """Describe one message's outcome: a summary, then each resource, warning and gap."""
    header = outcome.header
    summary = (
        f"{header.message_type or 'message'} {header.control_id} from {header.sender}: "
        f"{outcome.outcome.value} (ACK {outcome.ack_code})"
    )
    issues: list[Issue] = []
    if outcome.outcome.accepted:
        issues.append(Issue(summary, "informational", "information"))
    elif outcome.ack_code == "AA":  # out of scope, acknowledged as the site asked
        issues.append(Issue(f"{summary}: {outcome.reason}", "informational", "information"))
    else:
        location = f" at {outcome.error_location}" if outcome.error_location else ""
        issues.append(
            Issue(
                f"{summary}: {outcome.reason}{location}",
                _ERROR_CODE[outcome.outcome],
                "error",
            )
        )
    for touched in outcome.touched:
        version = f" (version {touched.version})" if touched.version is not None else ""
        issues.append(
            Issue(
                f"{touched.reference} {touched.change.value}{version}",
                "informational",
                "information",
            )
        )
    issues.extend(Issue(w, "informational", "warning") for w in outcome.warnings)
    if outcome.unmapped:
        issues.append(
            Issue(f"Not mapped: {', '.join(outcome.unmapped)}", "informational", "information")
        )
    return issues


def batch_response(outcomes: Iterable[IngestOutcome]) -> dict[str, Any]:
    """Return the ``batch-response`` Bundle of ``$hl7v2-ingest``: one entry per message."""
    entries: list[dict[str, Any]] = []
    for outcome in outcomes:
        status = "200 OK" if outcome.ack_code == "AA" else _STATUS[outcome.outcome]
        response: dict[str, Any] = {"status": status}
        written = outcome.written
        if written:
            first = written[0]
            response["location"] = f"{first.reference}/_history/{first.version}"
        response["outcome"] = operation_outcome(outcome_issues(outcome))
        entries.append({"response": response})
    return {
        "resourceType": "Bundle",
        "type": "batch-response",
        "meta": {"lastUpdated": fhir_instant(now_us())},
        "entry": entries,
    }


def transaction_bundle(base: str, outcomes: Iterable[IngestOutcome]) -> dict[str, Any]:
    """Return the transaction a dry run would apply: PUT (or DELETE) by deterministic id.

    A resource planned by several messages appears once, as the last one leaves it.
    """
    planned: dict[str, dict[str, Any] | None] = {}
    for outcome in outcomes:
        for reference, body in outcome.planned:
            planned.pop(reference, None)
            planned[reference] = body
    entries: list[dict[str, Any]] = []
    for reference, body in planned.items():
        entry: dict[str, Any] = {"fullUrl": f"{base}/{reference}"}
        if body is None:
            entry["request"] = {"method": "DELETE", "url": reference}
        else:
            entry["resource"] = body
            entry["request"] = {"method": "PUT", "url": reference}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def ledger_parameters(entry: LedgerEntry) -> dict[str, Any]:
    """Return a ledger entry as a Parameters resource (``$hl7v2-ledger``)."""
    parameters: list[dict[str, Any]] = [
        {"name": "sender", "valueString": entry.sender},
        {"name": "controlId", "valueString": entry.control_id},
        {"name": "received", "valueInstant": fhir_instant(entry.received)},
        {"name": "messageType", "valueString": entry.message_type},
        {"name": "outcome", "valueCode": entry.outcome},
    ]
    if entry.event_time is not None:
        parameters.append({"name": "eventTime", "valueInstant": fhir_instant(entry.event_time)})
    parameters.append(
        {"name": "message", "valueString": entry.raw.decode("utf-8", errors="replace")}
    )
    parameters += [{"name": "touched", "valueReference": {"reference": r}} for r in entry.touched]
    parameters += [{"name": "unmapped", "valueString": u} for u in entry.unmapped]
    parameters += [{"name": "warning", "valueString": w} for w in entry.warnings]
    return {"resourceType": "Parameters", "parameter": parameters}

"""What the HL7v2 operations answered, as the workbench shows it.

``$hl7v2-convert`` answers the transaction Bundle a message would apply,
``$hl7v2-ingest`` a batch-response with one entry per message, ``$hl7v2-ledger`` a
Parameters resource with one message's story (server.hl7v2.ingest.bundles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from server.console.views.fhir_text import Issue, issues_of, parameter_values

__all__ = [
    "ConvertedResource",
    "IngestResult",
    "LedgerView",
    "converted_resources",
    "ingest_results",
    "ledger_view",
]


@dataclass(frozen=True, slots=True)
class ConvertedResource:
    """One entry of the dry run: what would be written where, and the resource as JSON."""

    method: str
    url: str
    json: str


def converted_resources(bundle: dict[str, Any]) -> list[ConvertedResource]:
    """The entries of the transaction ``$hl7v2-convert`` answered."""
    found: list[ConvertedResource] = []
    for entry in bundle.get("entry") or ():
        request = entry.get("request") or {}
        resource = entry.get("resource")
        text = (
            orjson.dumps(resource, option=orjson.OPT_INDENT_2).decode()
            if resource is not None
            else ""
        )
        found.append(ConvertedResource(str(request.get("method")), str(request.get("url")), text))
    return found


@dataclass(frozen=True, slots=True)
class IngestResult:
    """One message's entry in the batch-response: its status and what the server said."""

    status: str
    location: str
    issues: tuple[Issue, ...]

    @property
    def accepted(self) -> bool:
        return self.status.startswith("2")


def ingest_results(bundle: dict[str, Any]) -> list[IngestResult]:
    """The entries of the batch-response ``$hl7v2-ingest`` answered."""
    results: list[IngestResult] = []
    for entry in bundle.get("entry") or ():
        response = entry.get("response") or {}
        results.append(
            IngestResult(
                str(response.get("status") or ""),
                str(response.get("location") or ""),
                tuple(issues_of(response.get("outcome"))),
            )
        )
    return results


@dataclass(frozen=True, slots=True)
class LedgerView:
    """One ledger entry: the message as received, its outcome and what it wrote."""

    sender: str = ""
    control_id: str = ""
    received: str = ""
    event_time: str = ""
    message_type: str = ""
    outcome: str = ""
    message: str = ""
    touched: tuple[str, ...] = ()
    unmapped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


_SINGLE = {
    "sender": "sender",
    "controlId": "control_id",
    "received": "received",
    "eventTime": "event_time",
    "messageType": "message_type",
    "outcome": "outcome",
    "message": "message",
}
_LISTED = {"touched": "touched", "unmapped": "unmapped", "warning": "warnings"}


def ledger_view(parameters: dict[str, Any]) -> LedgerView:
    """Read the Parameters ``$hl7v2-ledger`` answered."""
    single: dict[str, str] = {}
    listed: dict[str, list[str]] = {field: [] for field in _LISTED.values()}
    for name, value in parameter_values(parameters):
        if isinstance(value, dict):  # a reference
            value = value.get("reference")
        if name in _SINGLE:
            single[_SINGLE[name]] = str(value)
        elif name in _LISTED:
            listed[_LISTED[name]].append(str(value))
    return LedgerView(
        sender=single.get("sender", ""),
        control_id=single.get("control_id", ""),
        received=single.get("received", ""),
        event_time=single.get("event_time", ""),
        message_type=single.get("message_type", ""),
        outcome=single.get("outcome", ""),
        message=single.get("message", ""),
        touched=tuple(listed["touched"]),
        unmapped=tuple(listed["unmapped"]),
        warnings=tuple(listed["warnings"]),
    )

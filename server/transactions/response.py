"""The transaction-response or batch-response Bundle: one entry per request entry, in order."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any, Literal

from server.errors import FhirError, Issue, operation_outcome
from server.fhir.bundles import bundle, embedded
from server.fhir.clock import fhir_instant
from server.integrity import Dangling
from server.storage.port import StoredVersion

# Prefer: return= (http.html#ops), applied to every entry.
ReturnPreference = Literal["minimal", "representation", "OperationOutcome"]


@dataclass(slots=True)
class EntryResponse:
    """How one entry went: a status, and the version, document or error it produced."""

    status: int
    version: StoredVersion | None = None
    document: dict[str, Any] | None = None  # a GET's answer that is no stored version
    error: FhirError | None = None
    warnings: list[Dangling] = field(default_factory=list)
    head: bool = False  # HEAD: no body
    read: bool = False  # a GET: its resource is the answer, whatever Prefer says


_STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


def status_line(status: int) -> str:
    return _STATUS_LINES.get(status) or str(status)


def response_entry(base: str, answer: EntryResponse, prefer: ReturnPreference) -> dict[str, Any]:
    """One ``Bundle.entry`` of the response (bundle.html, Bundle.entry.response)."""
    response: dict[str, Any] = {"status": status_line(answer.status)}
    entry: dict[str, Any] = {}
    version = answer.version
    if answer.error is not None:
        response["outcome"] = answer.error.outcome()
        return {"response": response}
    if version is not None:
        reference = f"{version.resource_type}/{version.id}"
        if not version.deleted:
            entry["fullUrl"] = f"{base}/{reference}"
            if answer.status in (200, 201):
                response["location"] = f"{base}/{reference}/_history/{version.version}"
        response["etag"] = f'W/"{version.version}"'
        response["lastModified"] = fhir_instant(version.last_updated)
    if answer.warnings:
        response["outcome"] = operation_outcome(
            [replace(d.issue(), severity="warning") for d in answer.warnings]
        )
    elif prefer == "OperationOutcome" and version is not None:
        verb = "deleted" if version.deleted else "written"
        message = f"{version.resource_type}/{version.id} {verb} as version {version.version}"
        response["outcome"] = operation_outcome([Issue(message, "informational", "information")])
    if not answer.head:
        if answer.document is not None:
            entry["resource"] = answer.document
        elif (
            version is not None
            and version.body is not None
            and (answer.read or prefer == "representation")
        ):
            entry["resource"] = embedded(version.body)
    entry["response"] = response
    return entry


def response_bundle(
    kind: str, base: str, answers: list[EntryResponse], prefer: ReturnPreference
) -> dict[str, Any]:
    """The ``transaction-response`` or ``batch-response`` Bundle."""
    document = bundle(f"{kind}-response", (response_entry(base, a, prefer) for a in answers), {})
    del document["link"]
    document.setdefault("entry", [])
    return document

"""The CoverageEligibilityResponse of a request and a source's answer.

What the coverage on file says that the response has no element for (its payor, plan,
subscriber and relationship, status and period) goes in the
``coverage-on-file`` extension of each ``insurance``; the disposition says it in words.
"""

from __future__ import annotations

from typing import Any

from server.eligibility.source import CoverageVerdict, Eligibility

ON_FILE_URL = "https://fhirport.dev/fhir/StructureDefinition/coverage-on-file"
ERROR_SYSTEM = "https://fhirport.dev/CodeSystem/eligibility-error"


def _plan(coverage: dict[str, Any]) -> str | None:
    for entry in coverage.get("class") or ():
        codes = {c.get("code") for c in (entry.get("type") or {}).get("coding") or ()}
        if "plan" in codes and entry.get("value"):
            name = entry.get("name")
            return f"{entry['value']} ({name})" if name else str(entry["value"])
    return None


def _details(coverage: dict[str, Any]) -> list[dict[str, Any]]:
    """The coverage's facts as sub-extensions, those it has."""
    payors = coverage.get("payor") or [None]
    values = (
        ("status", "valueCode", coverage.get("status")),
        ("period", "valuePeriod", coverage.get("period")),
        ("payor", "valueReference", payors[0]),
        ("plan", "valueString", _plan(coverage)),
        ("subscriber", "valueReference", coverage.get("subscriber")),
        ("subscriberId", "valueString", coverage.get("subscriberId")),
        ("relationship", "valueCodeableConcept", coverage.get("relationship")),
    )
    return [{"url": url, kind: value} for url, kind, value in values if value]


def _insurance(verdict: CoverageVerdict) -> dict[str, Any]:
    insurance: dict[str, Any] = {
        "extension": [{"url": ON_FILE_URL, "extension": _details(verdict.coverage)}],
        "coverage": {"reference": verdict.reference},
        "inforce": verdict.inforce,
    }
    if verdict.coverage.get("period"):
        insurance["benefitPeriod"] = verdict.coverage["period"]
    return insurance


def _sentence(verdict: CoverageVerdict, eligibility: Eligibility) -> str:
    facts = [
        f"{label} {value}"
        for label, value in (
            ("payor", ((verdict.coverage.get("payor") or [{}])[0]).get("reference")),
            ("plan", _plan(verdict.coverage)),
            ("subscriber id", verdict.coverage.get("subscriberId")),
        )
        if value
    ]
    said = f"{verdict.reference}" + (f" ({', '.join(facts)})" if facts else "")
    if verdict.inforce:
        return f"{said} is in force on {eligibility.days}"
    return f"{said} is not in force on {eligibility.days}: {verdict.reason}"


def build_response(
    request: dict[str, Any], request_reference: str, eligibility: Eligibility, created: str
) -> dict[str, Any]:
    """The CoverageEligibilityResponse answering ``request`` (stored as ``request_reference``)."""
    lines = [_sentence(v, eligibility) for v in eligibility.verdicts]
    lines += [e.text for e in eligibility.errors]
    response: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "status": "active",
        "purpose": request.get("purpose") or ["validation"],
        "patient": request["patient"],
        "created": created,
        "request": {"reference": request_reference},
        "outcome": "complete" if eligibility.verdicts else "error",
        "disposition": f"Checked against {eligibility.checked_against}. " + "; ".join(lines),
        "insurer": request["insurer"],
    }
    for element in ("servicedDate", "servicedPeriod"):
        if element in request:
            response[element] = request[element]
    if "provider" in request:
        response["requestor"] = request["provider"]
    if eligibility.verdicts:
        response["insurance"] = [_insurance(v) for v in eligibility.verdicts]
    if eligibility.errors:
        response["error"] = [
            {"code": {"coding": [{"system": ERROR_SYSTEM, "code": e.code}], "text": e.text}}
            for e in eligibility.errors
        ]
    return response

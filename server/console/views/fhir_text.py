"""Short readable text for the FHIR datatypes the console's pages show in tables.

Everything takes the JSON as the API answered it (dicts and lists, maybe missing or
oddly shaped) and never raises: a page must render whatever a server stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Issue",
    "bundle_resources",
    "concept_text",
    "human_name",
    "issues_of",
    "names_by_reference",
    "parameter_values",
    "reference_text",
]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def human_name(resource: dict[str, Any]) -> str:
    """The first name of a Patient or Practitioner: its text, else given and family."""
    names = [_dict(n) for n in _list(resource.get("name"))]
    official = [n for n in names if n.get("use") == "official"] or names
    if not official:
        return ""
    name = official[0]
    if isinstance(name.get("text"), str):
        return str(name["text"])
    given = " ".join(str(g) for g in _list(name.get("given")))
    return " ".join(p for p in (given, str(name.get("family") or "")) if p)


def names_by_reference(resources: list[dict[str, Any]]) -> dict[str, str]:
    """``Type/id`` -> name of each person (HumanName) or organization (name) among them."""
    names: dict[str, str] = {}
    for resource in resources:
        name = resource.get("name")
        text = name if isinstance(name, str) else human_name(resource)
        if text:
            names[f"{resource.get('resourceType')}/{resource.get('id')}"] = text
    return names


def concept_text(concept: Any) -> str:
    """A CodeableConcept's text, else its first coding's display or code."""
    concept = _dict(concept)
    if isinstance(concept.get("text"), str):
        return str(concept["text"])
    for coding in _list(concept.get("coding")):
        coding = _dict(coding)
        text = coding.get("display") or coding.get("code")
        if isinstance(text, str):
            return text
    return ""


def reference_text(reference: Any) -> str:
    """A Reference's display, else its reference, else its identifier's value."""
    reference = _dict(reference)
    for key in ("display", "reference"):
        if isinstance(reference.get(key), str):
            return str(reference[key])
    value = _dict(reference.get("identifier")).get("value")
    return value if isinstance(value, str) else ""


def bundle_resources(bundle: Any) -> list[dict[str, Any]]:
    """The resources of a Bundle's entries, in order (entries without one are skipped)."""
    resources = (_dict(e).get("resource") for e in _list(_dict(bundle).get("entry")))
    return [r for r in resources if isinstance(r, dict)]


@dataclass(frozen=True, slots=True)
class Issue:
    """One OperationOutcome issue as a page lists it."""

    severity: str
    code: str
    diagnostics: str
    expression: str


def issues_of(outcome: Any) -> list[Issue]:
    """The issues of an OperationOutcome (anything else: none)."""
    outcome = _dict(outcome)
    if outcome.get("resourceType") != "OperationOutcome":
        return []
    found: list[Issue] = []
    for issue in _list(outcome.get("issue")):
        issue = _dict(issue)
        found.append(
            Issue(
                str(issue.get("severity") or ""),
                str(issue.get("code") or ""),
                str(issue.get("diagnostics") or concept_text(issue.get("details"))),
                ", ".join(str(e) for e in _list(issue.get("expression"))),
            )
        )
    return found


def parameter_values(parameters: Any) -> list[tuple[str, Any]]:
    """A Parameters resource's (name, value[x] or parts) pairs in order."""
    pairs: list[tuple[str, Any]] = []
    for parameter in _list(_dict(parameters).get("parameter")):
        parameter = _dict(parameter)
        name = str(parameter.get("name") or "")
        if "part" in parameter:
            pairs.append((name, parameter_values({"parameter": parameter["part"]})))
            continue
        value = next((v for k, v in parameter.items() if k.startswith("value")), None)
        pairs.append((name, value))
    return pairs

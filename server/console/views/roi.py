"""The records desk: release-of-information requests, their release, and disclosures.

The shapes are the ROI operations' (docs/roi.md): a request is a Task with the ROI
code, received on ``authoredOn`` and due on ``restriction.period.end``; ``$release``
answers a Parameters (server.roi.summary); ``Patient/{id}/$disclosures`` a searchset of
disclosure AuditEvents (server.roi.audit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from server.console.views.fhir_text import concept_text, parameter_values, reference_text

__all__ = [
    "DUE_SOON_DAYS",
    "ROI_CODE",
    "Decision",
    "Disclosure",
    "ReleaseView",
    "RequestView",
    "disclosures",
    "release_view",
    "request_view",
    "worklist_params",
]

ROI_CODE: Final = "https://fhirport.dev/CodeSystem/task-type|release-of-information"
OPEN_STATUSES: Final = ("requested", "in-progress")
DUE_SOON_DAYS: Final = 7
_DUE_EXTENSION: Final = "https://fhirport.dev/fhir/StructureDefinition/roi-due-extension"
_DESTINATION_ROLE: Final = "110152"


def worklist_params(count: int = 100) -> list[tuple[str, str]]:
    """The search for open requests, soonest due first (docs/roi.md, the work list)."""
    return [
        ("code", ROI_CODE),
        ("status", ",".join(OPEN_STATUSES)),
        ("_sort", "due"),
        ("_include", "Task:patient"),
        ("_include", "Task:recipient"),
        ("_count", str(count)),
    ]


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _inputs(task: dict[str, Any], code: str) -> list[Any]:
    found: list[Any] = []
    for item in task.get("input") or ():
        if isinstance(item, dict) and any(
            c.get("code") == code for c in (item.get("type") or {}).get("coding") or ()
        ):
            found.append(next((v for k, v in item.items() if k.startswith("value")), None))
    return found


@dataclass(frozen=True, slots=True)
class RequestView:
    """One request as the desk lists and shows it."""

    id: str
    status: str
    patient: str  # Patient/{id}
    requester: str
    recipient: str
    purpose: str
    received: str
    due: str
    bucket: str  # overdue | due-soon | open | closed
    extended: str  # the extension's reason, "" when never extended
    record_types: tuple[str, ...]
    status_reason: str
    outputs: tuple[tuple[str, str], ...]  # (output code, value as text)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _bucket(status: str, due: str, today: date) -> str:
    if status not in OPEN_STATUSES:
        return "closed"
    when = _date(due)
    if when is None:
        return "open"
    if when < today:
        return "overdue"
    return "due-soon" if when <= today + timedelta(days=DUE_SOON_DAYS) else "open"


def _extension_reason(task: dict[str, Any]) -> str:
    for extension in task.get("extension") or ():
        if isinstance(extension, dict) and extension.get("url") == _DUE_EXTENSION:
            for part in extension.get("extension") or ():
                if isinstance(part, dict) and part.get("url") == "reason":
                    return str(part.get("valueString") or "extended")
            return "extended"
    return ""


def _output_text(value: Any) -> str:
    return reference_text(value) if isinstance(value, dict) else str(value)


def request_view(task: dict[str, Any], today: date) -> RequestView:
    """Read one ROI Task."""
    restriction = task.get("restriction") if isinstance(task.get("restriction"), dict) else {}
    restriction = restriction or {}
    due = str((restriction.get("period") or {}).get("end") or "")
    status = str(task.get("status") or "")
    outputs = tuple(
        (
            concept_text(o.get("type")),
            _output_text(next((v for k, v in o.items() if k.startswith("value")), "")),
        )
        for o in task.get("output") or ()
        if isinstance(o, dict)
    )
    return RequestView(
        id=str(task.get("id") or ""),
        status=status,
        patient=str((task.get("for") or {}).get("reference") or ""),
        requester=reference_text(task.get("requester")),
        recipient=", ".join(reference_text(r) for r in restriction.get("recipient") or ()),
        purpose=concept_text(task.get("reasonCode")),
        received=str(task.get("authoredOn") or ""),
        due=due,
        bucket=_bucket(status, due, today),
        extended=_extension_reason(task),
        record_types=tuple(str(v) for v in _inputs(task, "resource-type")),
        status_reason=concept_text(task.get("statusReason")),
        outputs=outputs,
    )


@dataclass(frozen=True, slots=True)
class Decision:
    """The consent engine's decision on one record (``$release?_explain=true``)."""

    resource: str
    effect: str
    basis: str
    reason: str
    consent: str
    provision: str


@dataclass(frozen=True, slots=True)
class ReleaseView:
    """What a ``$release`` answered."""

    outcome: str
    released: int
    denied: int
    denied_by: tuple[tuple[str, int], ...]
    records: tuple[tuple[str, str], ...]  # (release | disclosure | provenance, reference)
    decisions: tuple[Decision, ...]


def _decision(parts: list[tuple[str, Any]]) -> Decision:
    found = {name: value for name, value in parts}
    return Decision(
        _output_text(found.get("resource", "")),
        str(found.get("effect", "")),
        str(found.get("basis", "")),
        str(found.get("reason", "")),
        _output_text(found.get("consent", "")),
        str(found.get("provision", "")),
    )


def release_view(parameters: dict[str, Any]) -> ReleaseView:
    """Read the Parameters ``$release`` answered."""
    single: dict[str, Any] = {}
    records: list[tuple[str, str]] = []
    decisions: list[Decision] = []
    denied_by: tuple[tuple[str, int], ...] = ()
    for name, value in parameter_values(parameters):
        if name == "decision" and isinstance(value, list):
            decisions.append(_decision(value))
        elif name == "denied-by" and isinstance(value, list):
            denied_by = tuple((str(k), int(v)) for k, v in value if isinstance(v, int))
        elif name in ("release", "disclosure", "provenance"):
            records.append((name, _output_text(value)))
        else:
            single[name] = value
    return ReleaseView(
        str(single.get("outcome") or ""),
        int(single.get("released") or 0),
        int(single.get("denied") or 0),
        denied_by,
        tuple(records),
        tuple(decisions),
    )


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One line of the accounting of disclosures."""

    id: str
    recorded: str
    recipient: str
    purpose: str
    description: str


def _recipient(event: dict[str, Any]) -> str:
    for agent in event.get("agent") or ():
        codes = (agent.get("type") or {}).get("coding") or ()
        if any(c.get("code") == _DESTINATION_ROLE for c in codes):
            return reference_text(agent.get("who"))
    return ""


def disclosures(resources: list[dict[str, Any]]) -> list[Disclosure]:
    """The disclosure AuditEvents of ``$disclosures``, as the accounting lists them."""
    found: list[Disclosure] = []
    for event in resources:
        if event.get("resourceType") != "AuditEvent":
            continue
        description = next(
            (str(e["description"]) for e in event.get("entity") or () if e.get("description")),
            "",
        )
        purposes = ", ".join(concept_text(p) for p in event.get("purposeOfEvent") or ())
        found.append(
            Disclosure(
                str(event.get("id") or ""),
                str(event.get("recorded") or ""),
                _recipient(event),
                purposes,
                description,
            )
        )
    return found

"""The patient chart: the record from ``Patient/{id}/$everything`` on a timeline.

Each resource of the record becomes one event dated by the element that dates it for
the office (an appointment's start, a coverage's period, a claim's billable period, a
consent's date, an encounter's period); records without such a date fall back to when
they were last written. Newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from server.console.views.fhir_text import concept_text, human_name, reference_text

__all__ = ["TIMELINE_TYPES", "PatientSummary", "TimelineEvent", "patient_summary", "timeline"]


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One record on the timeline; ``when`` is the FHIR date or dateTime that dates it."""

    when: str
    kind: str
    title: str
    status: str
    detail: str
    reference: str

    @property
    def day(self) -> str:
        return self.when[:10]


@dataclass(frozen=True, slots=True)
class PatientSummary:
    """The chart's header."""

    reference: str
    name: str
    birth_date: str
    gender: str
    identifiers: tuple[str, ...]
    deceased: bool


def _period_start(resource: dict[str, Any], element: str) -> str:
    period = resource.get(element)
    return str(period.get("start") or "") if isinstance(period, dict) else ""


def _period_text(resource: dict[str, Any], element: str) -> str:
    period = resource.get(element)
    if not isinstance(period, dict):
        return ""
    start, end = period.get("start"), period.get("end")
    if start and end:
        return f"{start} to {end}"
    return f"from {start}" if start else f"until {end}" if end else ""


def _first_concept(resource: dict[str, Any], element: str) -> str:
    values = resource.get(element)
    return concept_text(values[0]) if isinstance(values, list) and values else ""


def _appointment(r: dict[str, Any]) -> tuple[str, str, str]:
    title = r.get("description") or _first_concept(r, "serviceType") or "Appointment"
    who = ", ".join(
        reference_text(p.get("actor"))
        for p in r.get("participant") or ()
        if isinstance(p, dict)
        and str((p.get("actor") or {}).get("reference", "")).startswith(
            ("Practitioner/", "Location/")
        )
    )
    return str(r.get("start") or ""), str(title), who


def _coverage(r: dict[str, Any]) -> tuple[str, str, str]:
    payors = ", ".join(reference_text(p) for p in r.get("payor") or ())
    title = concept_text(r.get("type")) or "Coverage"
    return (
        _period_start(r, "period"),
        f"{title}: {payors}" if payors else title,
        _period_text(r, "period"),
    )


def _claim(r: dict[str, Any]) -> tuple[str, str, str]:
    total = r.get("total") if isinstance(r.get("total"), dict) else {}
    amount = f"{total.get('value')} {total.get('currency', '')}".strip() if total else ""
    title = f"{concept_text(r.get('type')) or 'Claim'} claim"
    when = _period_start(r, "billablePeriod") or str(r.get("created") or "")
    return when, title, amount


def _consent(r: dict[str, Any]) -> tuple[str, str, str]:
    title = _first_concept(r, "category") or concept_text(r.get("scope")) or "Consent"
    return str(r.get("dateTime") or ""), title, _period_text(r.get("provision") or {}, "period")


def _encounter(r: dict[str, Any]) -> tuple[str, str, str]:
    kind: dict[str, Any] = r["class"] if isinstance(r.get("class"), dict) else {}
    title = _first_concept(r, "type") or str(kind.get("display") or kind.get("code") or "Visit")
    return _period_start(r, "period"), title, _period_text(r, "period")


def _task(r: dict[str, Any]) -> tuple[str, str, str]:
    return str(r.get("authoredOn") or ""), concept_text(r.get("code")) or "Task", ""


def _communication(r: dict[str, Any]) -> tuple[str, str, str]:
    text = next(
        (str(p["contentString"]) for p in r.get("payload") or () if "contentString" in p), ""
    )
    return str(r.get("sent") or ""), _first_concept(r, "category") or "Communication", text


_DESCRIBE: dict[str, Callable[[dict[str, Any]], tuple[str, str, str]]] = {
    "Appointment": _appointment,
    "Coverage": _coverage,
    "Claim": _claim,
    "Consent": _consent,
    "Encounter": _encounter,
    "Task": _task,
    "Communication": _communication,
}


# The record's types the timeline shows (``$everything?_type=``): not the Practitioners,
# Organizations and Locations it points at, nor the audit trail of reading it.
TIMELINE_TYPES = tuple(_DESCRIBE)


def _event(resource: dict[str, Any]) -> TimelineEvent:
    kind = str(resource.get("resourceType") or "")
    describe = _DESCRIBE.get(kind)
    when, title, detail = describe(resource) if describe else ("", kind, "")
    if not when:
        when = str((resource.get("meta") or {}).get("lastUpdated") or "")
    return TimelineEvent(
        when,
        kind,
        title,
        str(resource.get("status") or ""),
        detail,
        f"{kind}/{resource.get('id')}",
    )


def timeline(resources: Iterable[dict[str, Any]]) -> list[TimelineEvent]:
    """The record's events newest first; the Patient itself is the header, not an event."""
    events = [_event(r) for r in resources if r.get("resourceType") != "Patient"]
    return sorted(events, key=lambda e: e.when, reverse=True)


def patient_summary(patient: dict[str, Any]) -> PatientSummary:
    """Name, birth date, sex, identifiers and whether deceased, for the chart's header."""
    identifiers = tuple(
        f"{concept_text(i.get('type')) or 'id'} {i.get('value')}"
        for i in patient.get("identifier") or ()
        if isinstance(i, dict) and i.get("value")
    )
    return PatientSummary(
        f"Patient/{patient.get('id')}",
        human_name(patient) or f"Patient/{patient.get('id')}",
        str(patient.get("birthDate") or ""),
        str(patient.get("gender") or ""),
        identifiers,
        bool(patient.get("deceasedBoolean") or patient.get("deceasedDateTime")),
    )

"""The front desk: a day's schedule per practitioner as a grid, and the desk's work lists.

The grid's times are the wall-clock times the appointments were booked in (the offset
they carry), so an office sees its own day whatever the server's zone. Each row is a
quarter hour; an appointment sits in the row of its start and says how long it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from server.console.views.fhir_text import concept_text, names_by_reference, reference_text

__all__ = [
    "Booking",
    "Grid",
    "Row",
    "WorkItem",
    "claims_to_fix",
    "communications",
    "schedule_grid",
    "tasks",
]

ROW_MINUTES: Final = 15
_SCRUB_EDIT: Final = "https://fhirport.dev/fhir/StructureDefinition/scrub-edit"


@dataclass(frozen=True, slots=True)
class Booking:
    """One appointment in a practitioner's column."""

    id: str
    start: str  # HH:MM
    end: str
    patient: str
    title: str
    status: str


@dataclass(slots=True)
class Row:
    """A quarter hour: its time, and per practitioner the appointments starting in it."""

    time: str
    cells: list[list[Booking]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Grid:
    """Columns (practitioner reference, name) and the rows of the day."""

    columns: tuple[tuple[str, str], ...]
    rows: tuple[Row, ...]


def _wall_clock(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _participants(appointment: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [
        p["actor"]
        for p in appointment.get("participant") or ()
        if isinstance(p, dict)
        and isinstance(p.get("actor"), dict)
        and str(p["actor"].get("reference", "")).startswith(prefix)
    ]


def _booking(appointment: dict[str, Any], start: datetime, names: dict[str, str]) -> Booking:
    end = _wall_clock(str(appointment.get("end") or ""))
    patients = _participants(appointment, "Patient/")
    title = appointment.get("description") or concept_text(appointment.get("appointmentType"))
    return Booking(
        str(appointment.get("id") or ""),
        start.strftime("%H:%M"),
        end.strftime("%H:%M") if end else "",
        names.get(str(patients[0]["reference"])) or reference_text(patients[0]) if patients else "",
        str(title or ""),
        str(appointment.get("status") or ""),
    )


def schedule_grid(
    appointments: list[dict[str, Any]], included: list[dict[str, Any]] | None = None
) -> Grid:
    """Lay a day's appointments out per practitioner, a row per quarter hour.

    ``included`` (the ``_include``d Practitioners and Patients) name the columns and
    the patients; anyone not among them is named by the participant's display or
    reference.
    """
    names = names_by_reference(list(included or ()))
    placed: list[tuple[str, datetime, Booking]] = []
    for appointment in appointments:
        start = _wall_clock(str(appointment.get("start") or ""))
        if start is None:
            continue
        for actor in _participants(appointment, "Practitioner/"):
            reference = str(actor["reference"])
            names.setdefault(reference, reference_text(actor))
            placed.append((reference, start, _booking(appointment, start, names)))
    columns = tuple(sorted({r for r, _, _ in placed}, key=lambda r: (names.get(r) or r, r)))
    if not placed:
        return Grid((), ())
    first = min(_minute_of_day(s) for _, s, _ in placed) // 60 * 60
    last = max(_minute_of_day(s) for _, s, _ in placed)
    rows = [
        Row(f"{minute // 60:02d}:{minute % 60:02d}", [[] for _ in columns])
        for minute in range(first, last + 1, ROW_MINUTES)
    ]
    for reference, start, booking in sorted(placed, key=lambda p: (p[1], p[2].id)):
        row = (_minute_of_day(start) - first) // ROW_MINUTES
        rows[row].cells[columns.index(reference)].append(booking)
    return Grid(tuple((r, names.get(r) or r) for r in columns), tuple(rows))


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One line of a desk work list: a resource, when, for whom, what, its status, notes."""

    reference: str
    when: str
    patient: str
    title: str
    status: str
    notes: tuple[str, ...] = ()


def _offer_notes(task: dict[str, Any]) -> tuple[str, ...]:
    """What is offered and until when."""
    if not task.get("focus"):
        return ()
    offered = reference_text(task.get("focus"))
    until = ((task.get("restriction") or {}).get("period") or {}).get("end")
    return (f"{offered} until {until}" if until else offered,)


def tasks(resources: list[dict[str, Any]]) -> list[WorkItem]:
    """Tasks (the waitlist offers) as work items."""
    return [
        WorkItem(
            f"Task/{t.get('id')}",
            str(t.get("authoredOn") or ""),
            reference_text(t.get("for")),
            str(t.get("description") or "") or concept_text(t.get("code")),
            str(t.get("status") or ""),
            _offer_notes(t),
        )
        for t in resources
        if t.get("resourceType") == "Task"
    ]


def communications(resources: list[dict[str, Any]]) -> list[WorkItem]:
    """Communications (the reminders) as work items."""
    items: list[WorkItem] = []
    for c in resources:
        if c.get("resourceType") != "Communication":
            continue
        texts = tuple(
            str(p["contentString"]) for p in c.get("payload") or () if "contentString" in p
        )
        media = ", ".join(concept_text(m) for m in c.get("medium") or ())
        items.append(
            WorkItem(
                f"Communication/{c.get('id')}",
                str(c.get("sent") or ""),
                reference_text(c.get("subject")),
                media or "reminder",
                str(c.get("status") or ""),
                texts,
            )
        )
    return items


def _edits(claim: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for extension in claim.get("extension") or ():
        if isinstance(extension, dict) and extension.get("url") == _SCRUB_EDIT:
            parts = {p.get("url"): p for p in extension.get("extension") or ()}
            found.append(str((parts.get("diagnostics") or {}).get("valueString") or ""))
    return tuple(found)


def claims_to_fix(resources: list[dict[str, Any]]) -> list[WorkItem]:
    """The claims of ``$scrub-worklist`` with the edits a payer would deny them for."""
    return [
        WorkItem(
            f"Claim/{c.get('id')}",
            str(c.get("created") or ""),
            reference_text(c.get("patient")),
            concept_text(c.get("type")) or "Claim",
            str(c.get("status") or ""),
            _edits(c),
        )
        for c in resources
        if c.get("resourceType") == "Claim"
    ]

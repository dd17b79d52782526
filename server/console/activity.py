"""AuditEvents as the home page lists them: when, what, which resources, who, how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from server.console.readable import codeable, reference_href

# AuditEvent.outcome (http://hl7.org/fhir/audit-event-outcome)
OUTCOMES: Final = {
    "0": "success",
    "4": "minor failure",
    "8": "serious failure",
    "12": "major failure",
}


@dataclass(frozen=True, slots=True)
class Activity:
    id: str
    when: str
    what: str
    resources: tuple[tuple[str, str | None], ...]  # (reference, console page or None)
    who: str
    outcome: str


def _who(event: dict[str, Any]) -> str:
    for agent in event.get("agent", ()):
        if not agent.get("requestor"):
            continue
        who = agent.get("who") or {}
        named = who.get("display") or who.get("reference") or who.get("identifier", {}).get("value")
        return str(named or agent.get("network", {}).get("address") or "")
    return ""


def activity(event: dict[str, Any]) -> Activity:
    references = [
        entity["what"]["reference"]
        for entity in event.get("entity", ())
        if isinstance(entity.get("what"), dict) and isinstance(entity["what"].get("reference"), str)
    ]
    return Activity(
        str(event.get("id", "")),
        str(event.get("recorded", "")),
        codeable(event.get("subtype")) or codeable(event.get("type")),
        tuple((ref, reference_href(ref)) for ref in dict.fromkeys(references)),
        _who(event),
        OUTCOMES.get(str(event.get("outcome", "")), str(event.get("outcome", ""))),
    )

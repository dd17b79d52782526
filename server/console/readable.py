"""Datatypes as a person reads them: names, codes, references, money, times.

The readable views (``templates/readable/<Type>.html``, or ``generic.html`` for a type
without one) use these as filters; ``fields`` is the generic view's list of elements.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from server.console.views import fhir_text

CONSOLE_PREFIX: Final = "/console"
_RELATIVE_REFERENCE: Final = re.compile(
    r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/.*)?$"
)
_SKIPPED: Final = frozenset({"resourceType", "id", "meta", "text", "contained"})


def resource_href(type_name: str, resource_id: str) -> str:
    """The console page of a resource."""
    return f"{CONSOLE_PREFIX}/{type_name}/{resource_id}"


def human_name(value: Any) -> str:
    """A HumanName, or the first (official) of a list of them, as "Given Family"."""
    return fhir_text.human_name({"name": value if isinstance(value, list) else [value]})


def codeable(value: Any) -> str:
    """A CodeableConcept or Coding (or a list of them) as its text, display or code."""
    if isinstance(value, list):
        return ", ".join(filter(None, (codeable(item) for item in value)))
    if isinstance(value, dict) and "coding" not in value and "text" not in value:
        return str(value.get("display") or value.get("code") or "")
    return fhir_text.concept_text(value)


def reference_href(value: Any) -> str | None:
    """The console page a Reference points to, None when it is not a local one."""
    reference = value.get("reference") if isinstance(value, dict) else value
    if not isinstance(reference, str):
        return None
    matched = _RELATIVE_REFERENCE.match(reference)
    return resource_href(matched[1], matched[2]) if matched else None


def money(value: Any) -> str:
    """A Money as "123.45 USD"."""
    if not isinstance(value, dict) or "value" not in value:
        return ""
    amount = value["value"]
    text = f"{amount:,.2f}" if isinstance(amount, int | float) else str(amount)
    return f"{text} {value.get('currency', '')}".strip()


def when(value: Any) -> str:
    """A FHIR date or dateTime shortened to the minute, in its own offset."""
    if not isinstance(value, str):
        return ""
    if "T" not in value:
        return value
    day, _, time_part = value.partition("T")
    zone = ""
    for marker in ("Z", "+", "-"):
        if marker in time_part:
            clock, _, offset = time_part.partition(marker)
            zone = "UTC" if marker == "Z" else f"{marker}{offset}"
            time_part = clock
            break
    return f"{day} {time_part[:5]} {zone}".strip()


def summary(value: Any) -> str:
    """Any element's value in one line: the generic view's right-hand column."""
    if isinstance(value, list):
        return "; ".join(summary(item) for item in value)
    if isinstance(value, dict):
        if "reference" in value or ("display" in value and len(value) <= 2):
            return fhir_text.reference_text(value)
        if "coding" in value or "text" in value:
            return codeable(value)
        if "family" in value or "given" in value:
            return human_name(value)
        if "value" in value and "currency" in value:
            return money(value)
        if "start" in value or "end" in value:
            return f"{when(value.get('start'))} – {when(value.get('end'))}"
        return ", ".join(f"{key}: {summary(item)}" for key, item in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _label(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize()


def fields(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """The resource's top-level elements as (label, one-line value), in its own order."""
    return [
        (_label(name), summary(value))
        for name, value in resource.items()
        if name not in _SKIPPED and not name.startswith("_")
    ]


def headline(resource: dict[str, Any]) -> str:
    """A resource in one line, for lists: a name, a status, a date; else its first elements."""
    name = resource.get("name")
    if isinstance(name, list):
        parts = [human_name(name), resource.get("birthDate"), resource.get("gender")]
    else:
        parts = [name if isinstance(name, str) else None]
    for key in ("status", "description", "start", "created", "date", "recorded"):
        value = resource.get(key)
        if isinstance(value, str):
            parts.append(when(value) if key in ("start", "created", "date", "recorded") else value)
    for key in ("patient", "subject", "beneficiary"):
        if isinstance(resource.get(key), dict):
            parts.append(fhir_text.reference_text(resource[key]))
    shown = [str(part) for part in parts if part]
    if not shown:
        shown = [f"{label}: {value}" for label, value in fields(resource)[:3]]
    return " · ".join(shown)


def duration_minutes(resource: dict[str, Any]) -> int | None:
    """An Appointment's length from its start and end, when both are instants."""
    start, end = resource.get("start"), resource.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        span = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except ValueError:
        return None
    return int(span.total_seconds() // 60)


def lines_total(resource: dict[str, Any]) -> str:
    """The sum of a Claim's line nets, when they share one currency."""
    nets = [item.get("net") for item in resource.get("item", ()) if isinstance(item, dict)]
    amounts = [
        net for net in nets if isinstance(net, dict) and isinstance(net.get("value"), int | float)
    ]
    currencies = {net.get("currency") for net in amounts}
    if not amounts or len(currencies) != 1:
        return ""
    return money({"value": sum(net["value"] for net in amounts), "currency": currencies.pop()})

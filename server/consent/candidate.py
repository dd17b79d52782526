"""A candidate resource as the engine sees it: type, id, relevant date, labels and codes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from server.consent.inputs import Coding
from server.consent.time_range import TimeRange
from server.registry import get_type


@dataclass(frozen=True, slots=True)
class Candidate:
    """The facts about one resource that consent rules test.

    ``codes`` holds every Coding found anywhere in the resource; it is filled only
    when some provision has a ``code`` criterion, since walking the resource costs time.
    """

    resource_type: str
    id: str
    when: TimeRange | None
    labels: frozenset[Coding]
    codes: frozenset[Coding] = frozenset()

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.id}"


def candidate_from_resource(resource: dict[str, Any], *, with_codes: bool = False) -> Candidate:
    """Read the candidate facts of a FHIR resource dict."""
    resource_type = str(resource.get("resourceType", ""))
    meta = resource.get("meta")
    security = meta.get("security", ()) if isinstance(meta, dict) else ()
    labels = frozenset(c for c in map(Coding.from_fhir, security) if c is not None)
    return Candidate(
        resource_type=resource_type,
        id=str(resource.get("id", "")),
        when=relevant_date(resource_type, resource),
        labels=labels,
        codes=frozenset(_codings(resource)) if with_codes else frozenset(),
    )


def relevant_date(resource_type: str, resource: dict[str, Any]) -> TimeRange | None:
    """The span the resource's data belongs to, or None for undated types and bad values."""
    held = get_type(resource_type)
    for element in held.clinical_date if held is not None else ():
        value = resource.get(element)
        try:
            if isinstance(value, str):
                return TimeRange.from_value(value)
            if isinstance(value, dict):
                return TimeRange.from_period(value)
        except ValueError:
            return None
    return None


def _codings(value: Any) -> Iterator[Coding]:
    if isinstance(value, dict):
        coding = Coding.from_fhir(value)
        if coding is not None:
            yield coding
        for key, item in value.items():
            if key != "meta":
                yield from _codings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _codings(item)

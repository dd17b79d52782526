"""A Claim's elements as the edits and the duplicate search read them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from server.scheduling.appointment import local_reference

Key = tuple[str, str]


def items(claim: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The claim's lines, with their index in ``Claim.item``."""
    for index, item in enumerate(claim.get("item") or ()):
        if isinstance(item, dict):
            yield index, item


def service_date(claim: dict[str, Any], item: dict[str, Any]) -> str | None:
    """A line's date of service: its own, else the claim's billable period start."""
    served = item.get("servicedDate") or (item.get("servicedPeriod") or {}).get("start")
    if served is None:
        served = (claim.get("billablePeriod") or {}).get("start")
    return served[:10] if isinstance(served, str) else None


def reference(element: Any) -> str | None:
    """``Type/id`` of a Reference element pointing into this server, or None."""
    return local_reference(element.get("reference")) if isinstance(element, dict) else None


def key(ref: str | None) -> Key | None:
    """The (type, id) a ``Type/id`` reference names."""
    if ref is None:
        return None
    resource_type, _, resource_id = ref.partition("/")
    return resource_type, resource_id


def dates(claim: dict[str, Any]) -> frozenset[str]:
    """A claim's dates of service."""
    return frozenset(service_date(claim, item) or "" for _, item in items(claim))


def codes(claim: dict[str, Any]) -> frozenset[str]:
    """A claim's codes (items' and diagnoses'), for the duplicate edit."""
    found: set[str] = set()
    for _, item in items(claim):
        for coding in (item.get("productOrService") or {}).get("coding") or ():
            found.add(f"{coding.get('system')}|{coding.get('code')}")
    for diagnosis in claim.get("diagnosis") or ():
        concept = diagnosis.get("diagnosisCodeableConcept") or {}
        for coding in concept.get("coding") or ():
            found.add(f"{coding.get('system')}|{coding.get('code')}")
    return frozenset(found)

"""What the edits read about a Claim: its own elements, and the resources it names.

Gathered once per scrub: the patient, the coverages and the billing provider in one
``read_many``, and, at the same time, the patient's claims in one indexed search
(``Claim?patient=``), of which the active ones of the same provider, dates of service and
codes are probable duplicates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from server import planned_versions
from server.scheduling.appointment import local_reference
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Store

_DUPLICATE_PAGE = 100


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """A Claim and the stored resources its edits look at (None: not found)."""

    claim: dict[str, Any]
    patient: dict[str, Any] | None
    coverages: dict[int, dict[str, Any] | None]  # Claim.insurance index -> its Coverage
    provider: dict[str, Any] | None
    duplicates: tuple[str, ...] = ()  # ids of other active claims like this one
    professional: bool = field(default=False)

    def items(self) -> Iterator[tuple[int, dict[str, Any]]]:
        return _items(self.claim)

    def service_date(self, item: dict[str, Any]) -> str | None:
        """An item's date of service: its own, else the claim's billable period start."""
        return _service_date(self.claim, item)


def _items(claim: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, item in enumerate(claim.get("item") or ()):
        if isinstance(item, dict):
            yield index, item


def _service_date(claim: dict[str, Any], item: dict[str, Any]) -> str | None:
    served = item.get("servicedDate") or (item.get("servicedPeriod") or {}).get("start")
    if served is None:
        served = (claim.get("billablePeriod") or {}).get("start")
    return served[:10] if isinstance(served, str) else None


def _reference(element: Any) -> str | None:
    return local_reference(element.get("reference")) if isinstance(element, dict) else None


def _key(reference: str | None) -> tuple[str, str] | None:
    if reference is None:
        return None
    resource_type, _, resource_id = reference.partition("/")
    return resource_type, resource_id


def _dates(claim: dict[str, Any]) -> frozenset[str]:
    """A claim's dates of service."""
    return frozenset(_service_date(claim, item) or "" for _, item in _items(claim))


def _codes(claim: dict[str, Any]) -> frozenset[str]:
    """A claim's codes (items' and diagnoses'), for the duplicate edit."""
    codes: set[str] = set()
    for _, item in _items(claim):
        for coding in (item.get("productOrService") or {}).get("coding") or ():
            codes.add(f"{coding.get('system')}|{coding.get('code')}")
    for diagnosis in claim.get("diagnosis") or ():
        concept = diagnosis.get("diagnosisCodeableConcept") or {}
        for coding in concept.get("coding") or ():
            codes.add(f"{coding.get('system')}|{coding.get('code')}")
    return frozenset(codes)


async def gather(
    store: Store, search: SearchEngine, claim: dict[str, Any], claim_id: str | None
) -> ClaimFacts:
    """The facts of ``claim`` (stored as ``claim_id``, or not stored yet: None)."""
    patient_ref = _reference(claim.get("patient"))
    provider_ref = _reference(claim.get("provider"))
    insurance = [
        (index, _reference(entry.get("coverage")))
        for index, entry in enumerate(claim.get("insurance") or ())
        if isinstance(entry, dict)
    ]
    keys = {k for k in (_key(patient_ref), _key(provider_ref)) if k is not None}
    keys |= {k for _, ref in insurance if (k := _key(ref)) is not None and k[0] == "Coverage"}
    found, duplicates = await asyncio.gather(
        planned_versions.read_many(store, sorted(keys)),
        _duplicates(store, search, claim, claim_id, patient_ref, provider_ref),
    )

    def body(key: tuple[str, str] | None) -> dict[str, Any] | None:
        version = found.get(key) if key is not None else None
        if version is None or version.body is None:
            return None
        loaded: dict[str, Any] = orjson.loads(version.body)
        return loaded

    coverages = {index: body(_key(ref)) for index, ref in insurance}
    kind = {c.get("code") for c in (claim.get("type") or {}).get("coding") or ()}
    return ClaimFacts(
        claim,
        body(_key(patient_ref)),
        coverages,
        body(_key(provider_ref)),
        duplicates,
        professional="professional" in kind,
    )


async def _duplicates(
    store: Store,
    search: SearchEngine,
    claim: dict[str, Any],
    claim_id: str | None,
    patient: str | None,
    provider: str | None,
) -> tuple[str, ...]:
    if patient is None or provider is None:
        return ()
    # By patient alone: a patient has few claims, a provider and a status many.
    parsed = search.parse("Claim", [("patient", patient)], lenient=False)
    page = await store.search(SearchQuery("Claim", tuple(parsed.clauses), count=_DUPLICATE_PAGE))
    dates, codes = _dates(claim), None
    found = []
    for version in page.versions:
        if version.id == claim_id or version.body is None:
            continue
        other = orjson.loads(version.body)
        # The cheap tests first: most of a patient's claims are of other days.
        if (
            other.get("status") != "active"
            or _dates(other) != dates
            or _reference(other.get("provider")) != provider
        ):
            continue
        codes = _codes(claim) if codes is None else codes
        if _codes(other) == codes:
            found.append(version.id)
    return tuple(found)

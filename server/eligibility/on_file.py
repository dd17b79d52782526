"""Eligibility from the Coverages this server holds (not the payer's live system).

The coverages are those the request names (``insurance.coverage``), else every Coverage
whose beneficiary is the request's patient. Each is in force when its status is active
and its period covers every day of service (server.eligibility.in_force). A request in a
transaction sees the coverages the same transaction writes (server.planned_versions).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from server import planned_versions
from server.eligibility.in_force import in_force
from server.eligibility.source import (
    CoverageVerdict,
    Eligibility,
    EligibilityError,
    ServiceDays,
)
from server.scheduling.appointment import local_reference
from server.search.query import Clause, ReferenceCond, SearchQuery
from server.storage.port import Store, StoredVersion

CHECKED_AGAINST = "the coverage on file at this server, not the payer's live system"
_MOST_COVERAGES = 100


def service_days(request: dict[str, Any]) -> ServiceDays:
    """The request's date of service: servicedDate, servicedPeriod, else today."""
    if isinstance(served := request.get("servicedDate"), str):
        return ServiceDays(served[:10], served[:10])
    period = request.get("servicedPeriod") or {}
    start, end = period.get("start"), period.get("end")
    if isinstance(start, str):
        return ServiceDays(start[:10], end[:10] if isinstance(end, str) else start[:10])
    today = date.today().isoformat()
    return ServiceDays(today, today)


def _reference(element: Any) -> str | None:
    return local_reference(element.get("reference")) if isinstance(element, dict) else None


class OnFileEligibility:
    """The EligibilitySource of the coverages on file."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def check(self, request: dict[str, Any]) -> Eligibility:
        days = service_days(request)
        patient = _reference(request.get("patient"))
        named = [
            ref
            for entry in request.get("insurance") or ()
            if (ref := _reference(entry.get("coverage"))) is not None
        ]
        errors: list[EligibilityError] = []
        coverages = await self._named(named, errors) if named else await self._of(patient)
        verdicts = []
        for reference, coverage in coverages:
            if _reference(coverage.get("beneficiary")) != patient:
                errors.append(
                    EligibilityError(
                        "coverage-other-patient", f"{reference} does not cover {patient}"
                    )
                )
                continue
            verdict = in_force(coverage, days.first, days.last)
            verdicts.append(CoverageVerdict(reference, coverage, verdict.active, verdict.reason))
        if not coverages and not errors:
            errors.append(
                EligibilityError("coverage-not-found", f"No coverage on file for {patient}")
            )
        return Eligibility(days, tuple(verdicts), tuple(errors), CHECKED_AGAINST)

    async def _named(
        self, references: list[str], errors: list[EligibilityError]
    ) -> list[tuple[str, dict[str, Any]]]:
        keys = [("Coverage", ref.split("/", 1)[1]) for ref in references if ref[:9] == "Coverage/"]
        planned = planned_versions.view()
        found = {
            **await self.store.read_many([k for k in keys if k not in planned]),
            **{k: planned[k] for k in keys if k in planned},
        }
        coverages = []
        for key in keys:
            version = found.get(key)
            reference = "/".join(key)
            if version is None or version.body is None:
                errors.append(EligibilityError("coverage-not-found", f"{reference} is not on file"))
            else:
                coverages.append((reference, orjson.loads(version.body)))
        return coverages

    async def _of(self, patient: str | None) -> list[tuple[str, dict[str, Any]]]:
        if patient is None:
            return []
        kind, _, patient_id = patient.partition("/")
        clause = Clause((ReferenceCond("beneficiary", kind, patient_id),))
        page = await self.store.search(SearchQuery("Coverage", (clause,), count=_MOST_COVERAGES))
        found: dict[str, StoredVersion | None] = {f"Coverage/{v.id}": v for v in page.versions}
        for (resource_type, resource_id), version in planned_versions.view().items():
            if resource_type == "Coverage":
                found[f"Coverage/{resource_id}"] = version  # the transaction's, or its delete
        coverages = []
        for reference, version in found.items():
            body = orjson.loads(version.body) if version is not None and version.body else None
            if body is not None and _reference(body.get("beneficiary")) == patient:
                coverages.append((reference, body))
        return coverages

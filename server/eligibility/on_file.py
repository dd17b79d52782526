"""Eligibility from the Coverages this server holds (not the payer's live system).

The coverages are those the request names (``insurance.coverage``), else every Coverage
whose beneficiary is the request's patient. Each is in force when its status is active
and its period covers every day of service (server.eligibility.in_force).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from server.eligibility.in_force import in_force
from server.eligibility.source import (
    CoverageVerdict,
    Eligibility,
    EligibilityError,
    ServiceDays,
)
from server.scheduling.appointment import local_reference
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Store

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

    def __init__(self, store: Store, search: SearchEngine) -> None:
        self.store = store
        self.search = search

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
        found = await self.store.read_many(keys)
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
        parsed = self.search.parse("Coverage", [("beneficiary", patient)], lenient=False)
        query = SearchQuery("Coverage", tuple(parsed.clauses), count=_MOST_COVERAGES)
        page = await self.store.search(query)
        return [(f"Coverage/{v.id}", orjson.loads(v.body)) for v in page.versions if v.body]

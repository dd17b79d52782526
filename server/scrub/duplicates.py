"""Probable duplicates: other active claims of the same patient and provider, with the
same dates of service and codes.

A patient's stored claims are found by an indexed search (``Claim?patient=``: a patient
has few claims, a provider and a status many); ``claims_of`` answers many patients with
one search, so the scrubs of one event-loop turn share it (server.scrub.facts). What a
stored claim is compared by is read from its body once per version and kept (a version
never changes), so scrubbing a patient's claims one after another parses each of them
once, not once per scrub.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from server.scrub import elements
from server.search.query import Clause, ReferenceCond, SearchQuery
from server.storage.port import Store, StoredVersion

# Claims read per patient: the page of one patient, or its share of a chunk's page.
PER_PATIENT = 100
# Stored claims whose comparison keys are kept, at most (the oldest go first).
KEPT = 32_768


@dataclass(frozen=True, slots=True)
class Likeness:
    """What two claims are compared by; ``active`` alone may be a duplicate's original."""

    patient: str | None
    provider: str | None
    active: bool
    dates: tuple[str, ...]  # sorted
    codes: tuple[str, ...]  # sorted


def likeness(claim: dict[str, Any]) -> Likeness:
    return Likeness(
        elements.reference(claim.get("patient")),
        elements.reference(claim.get("provider")),
        claim.get("status") == "active",
        tuple(sorted(elements.dates(claim))),
        tuple(sorted(elements.codes(claim))),
    )


class DuplicateFinder:
    """Finds probable duplicates among the claims of patients read together."""

    def __init__(self, store: Store, kept: int = KEPT) -> None:
        self.store = store
        self.kept = kept
        self._seen: dict[tuple[str, int], Likeness] = {}  # (id, version) -> likeness

    def duplicates(
        self,
        claim: dict[str, Any],
        claim_id: str | None,
        provider: str,
        stored: Sequence[tuple[str, Likeness]],
    ) -> tuple[str, ...]:
        """The ids of ``claim``'s probable duplicates among its patient's ``stored`` claims
        (``claim_id``: its own id, None when it is not stored)."""
        if not stored:
            return ()
        mine = likeness(claim)
        return tuple(
            other_id
            for other_id, other in stored
            if other_id != claim_id
            and other.active
            and other.dates == mine.dates
            and other.provider == provider
            and other.codes == mine.codes
        )

    async def claims_of(self, patients: Sequence[str]) -> dict[str, list[tuple[str, Likeness]]]:
        """Each patient's stored claims (``Type/id`` -> (id, likeness))."""
        targets = filter(None, (elements.key(patient) for patient in patients))
        clause = Clause(tuple(ReferenceCond("patient", t, i) for t, i in targets))
        page = await self.store.search(
            SearchQuery("Claim", (clause,), count=PER_PATIENT * len(patients))
        )
        if page.next_cursor is not None and len(patients) > 1:
            # One patient's many claims filled the page: each patient a page of its own.
            claims_of: dict[str, list[tuple[str, Likeness]]] = {}
            for patient in patients:
                claims_of |= await self.claims_of([patient])
            return claims_of
        claims_of = {patient: [] for patient in patients}
        for version in page.versions:
            found = self._likeness(version)
            of = claims_of.get(found.patient or "") if found is not None else None
            if of is not None and found is not None:
                of.append((version.id, found))
        return claims_of

    def _likeness(self, version: StoredVersion) -> Likeness | None:
        key = (version.id, version.version)
        found = self._seen.get(key)
        if found is None and version.body is not None:
            found = likeness(orjson.loads(version.body))
            if len(self._seen) >= self.kept:
                del self._seen[next(iter(self._seen))]
            self._seen[key] = found
        return found

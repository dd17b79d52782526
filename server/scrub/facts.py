"""What the edits read about a Claim: its own elements, and the resources it names.

``FactsReader.gather`` reads a claim's patient, coverages and billing provider, and its
probable duplicates (server.scrub.duplicates). The gathers of one turn of the event
loop share their store calls (server.storage.coalesce): one ``read_many`` for all the
resources their claims name, one duplicate search for all their patients. Inside a
transaction, what the transaction writes is read from its plan
(server.planned_versions), not from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from server import planned_versions
from server.scrub import elements
from server.scrub.duplicates import DuplicateFinder, Likeness
from server.scrub.elements import Key
from server.storage.coalesce import Coalesced
from server.storage.port import Store, StoredVersion

# Patients whose stored claims one duplicate search reads, at most.
CHUNK = 64


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
        return elements.items(self.claim)

    def service_date(self, item: dict[str, Any]) -> str | None:
        """An item's date of service: its own, else the claim's billable period start."""
        return elements.service_date(self.claim, item)


class FactsReader:
    """Gathers ClaimFacts from one store, the concurrent claims' reads together."""

    def __init__(self, store: Store, chunk: int = CHUNK) -> None:
        self.store = store
        self.duplicates = DuplicateFinder(store)
        self._reads: Coalesced[Key, StoredVersion | None] = Coalesced(store.read_many)
        self._claims: Coalesced[str, list[tuple[str, Likeness]]] = Coalesced(
            self.duplicates.claims_of, chunk
        )

    async def gather(self, claim: dict[str, Any], claim_id: str | None) -> ClaimFacts:
        """The facts of ``claim`` (stored as ``claim_id``, or not stored yet: None)."""
        patient = elements.reference(claim.get("patient"))
        provider = elements.reference(claim.get("provider"))
        insurance = [
            (index, elements.key(elements.reference(entry.get("coverage"))))
            for index, entry in enumerate(claim.get("insurance") or ())
            if isinstance(entry, dict)
        ]
        wanted = {k for k in (elements.key(patient), elements.key(provider)) if k is not None}
        wanted |= {k for _, k in insurance if k is not None and k[0] == "Coverage"}
        planned = planned_versions.view()
        stored = [k for k in wanted if k not in planned]
        found = await self._reads.get_many(stored) if stored else {}
        found |= {k: planned[k] for k in wanted if k in planned}
        duplicates: tuple[str, ...] = ()
        if patient is not None and provider is not None:
            claims = (await self._claims.get_many([patient]))[patient]
            duplicates = self.duplicates.duplicates(claim, claim_id, provider, claims)
        bodies = {key: _parsed(found.get(key)) for key in wanted}

        def body(key: Key | None) -> dict[str, Any] | None:
            return bodies.get(key) if key is not None else None

        kind = {c.get("code") for c in (claim.get("type") or {}).get("coding") or ()}
        return ClaimFacts(
            claim,
            body(elements.key(patient)),
            {index: body(key) for index, key in insurance},
            body(elements.key(provider)),
            duplicates,
            professional="professional" in kind,
        )


def _parsed(version: StoredVersion | None) -> dict[str, Any] | None:
    if version is None or version.body is None:
        return None
    loaded: dict[str, Any] = orjson.loads(version.body)
    return loaded

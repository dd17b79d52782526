"""What the edits read about a Claim: its own elements, and the resources it names.

``FactsReader.gather`` reads a claim's patient, coverages and billing provider, and its
probable duplicates (server.scrub.duplicates). The gathers asked for in one turn of the
event loop share their store calls (server.scrub.turn_batch): one ``read_many`` for all
the resources a chunk of claims names, each parsed once, and one duplicate search.
Inside a transaction, what the transaction writes is read from its plan
(server.planned_versions), not from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from server import planned_versions
from server.scrub import elements
from server.scrub.duplicates import DuplicateAsk, DuplicateFinder
from server.scrub.elements import Key
from server.scrub.turn_batch import TurnBatch
from server.storage.port import Store, StoredVersion

# Claims whose facts are read together, at most.
CHUNK = 64

Bodies = Mapping[Key, dict[str, Any] | None]


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


@dataclass(frozen=True, slots=True)
class _Ask:
    keys: tuple[Key, ...]  # to read from the store
    duplicates: DuplicateAsk


class FactsReader:
    """Gathers ClaimFacts from one store, a chunk of concurrent claims at a time."""

    def __init__(self, store: Store, chunk: int = CHUNK) -> None:
        self.store = store
        self.duplicates = DuplicateFinder(store)
        self._batch: TurnBatch[_Ask, tuple[Bodies, tuple[str, ...]]] = TurnBatch(self._serve, chunk)

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
        ask = _Ask(
            tuple(k for k in wanted if k not in planned),
            DuplicateAsk(claim, claim_id, patient, provider),
        )
        stored, duplicates = await self._batch.ask(ask)
        mine = {k: _parsed(planned[k]) for k in wanted if k in planned}

        def body(key: Key | None) -> dict[str, Any] | None:
            if key is None:
                return None
            return mine[key] if key in mine else stored.get(key)

        kind = {c.get("code") for c in (claim.get("type") or {}).get("coding") or ()}
        return ClaimFacts(
            claim,
            body(elements.key(patient)),
            {index: body(key) for index, key in insurance},
            body(elements.key(provider)),
            duplicates,
            professional="professional" in kind,
        )

    async def _serve(self, asks: Sequence[_Ask]) -> list[tuple[Bodies, tuple[str, ...]]]:
        keys = list(dict.fromkeys(key for ask in asks for key in ask.keys))
        found, duplicates = await asyncio.gather(
            self._read(keys), self.duplicates.find([ask.duplicates for ask in asks])
        )
        bodies = {key: _parsed(version) for key, version in found.items()}
        return [(bodies, ids) for ids in duplicates]

    async def _read(self, keys: list[Key]) -> Mapping[Key, StoredVersion | None]:
        return await self.store.read_many(keys) if keys else {}


def _parsed(version: StoredVersion | None) -> dict[str, Any] | None:
    if version is None or version.body is None:
        return None
    loaded: dict[str, Any] = orjson.loads(version.body)
    return loaded

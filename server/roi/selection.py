"""Decide a patient's records one by one and keep what may go out, as Bundle entries.

Stored bytes are parsed only to be decided; a permitted resource goes into the entry as
its stored bytes (``orjson.Fragment``), or as its labelled copy when Part 2 data needs the
no-redisclosure label. Denied resources are only counted (and kept as decisions when
explaining), so memory grows with what is released, not with what is looked at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from server.consent import Basis, ConsentDecider, Decision, Effect, labelled_copy
from server.roi.scope import RECORD_TYPES, compartment_versions
from server.storage.port import Store


@dataclass(slots=True)
class Selection:
    """What a release decided: the entries to send and the counts behind them."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    released: Counter[str] = field(default_factory=Counter)  # by resource type
    denied: Counter[str] = field(default_factory=Counter)  # by basis
    authorizations: set[str] = field(default_factory=set)  # Consents that authorized permits
    labelled: bool = False  # some entry carries NORDSCLCD
    decisions: list[Decision] = field(default_factory=list)  # only when explaining

    @property
    def released_total(self) -> int:
        return sum(self.released.values())

    @property
    def denied_total(self) -> int:
        return sum(self.denied.values())


async def select(
    store: Store,
    decider: ConsentDecider,
    base: str,
    *,
    explain: bool,
) -> Selection:
    """Decide every record of the request's types in the patient's compartment."""
    request = decider.request
    types = request.scope.resource_types or RECORD_TYPES
    authorizing = request.purpose not in decider.policy.base_rule_purposes
    selection = Selection()
    async for version in compartment_versions(store, request.patient_id, types):
        assert version.body is not None  # searches return current, live versions
        resource = orjson.loads(version.body)
        decision = decider.decide(resource)
        if explain:
            selection.decisions.append(decision)
        if decision.effect is Effect.DENY:
            selection.denied[decision.basis] += 1
            continue
        released: Any = orjson.Fragment(version.body)
        if decision.add_security:
            released = labelled_copy(resource, decision)
            selection.labelled = True
        selection.entries.append(
            {"fullUrl": f"{base}/{version.resource_type}/{version.id}", "resource": released}
        )
        selection.released[version.resource_type] += 1
        if authorizing and decision.basis is Basis.CONSENT and decision.consent_id:
            selection.authorizations.add(decision.consent_id)
    return selection

"""What a transaction writes besides its entries, as the single requests would.

- A deletion runs its type's hold rule's release (server.hold_rules.HoldRule.released):
  a deleted booking frees its Slots, as ``DELETE`` does; except to resources the
  transaction writes itself: what it says of them stands.
- A posted CoverageEligibilityRequest is answered as ``POST`` answers one
  (server.eligibility.respond): its CoverageEligibilityResponse in the same batch, from
  the coverage on file and the coverages the transaction writes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from server import eligibility
from server.auth.access import Access
from server.hold_rules import Releases
from server.interactions import ResourceService
from server.planned_versions import planned
from server.storage.port import StoredVersion, Write
from server.transactions.errors import about
from server.transactions.parse import RequestEntry

Key = tuple[str, str]
ANSWERED = eligibility.REQUEST  # the type a POST entry of is answered as it is stored


async def released(
    service: ResourceService,
    deleted: list[tuple[RequestEntry, StoredVersion]],
    written: Collection[Key],
) -> list[Write]:
    """The hold rules' writes for ``deleted`` (entry, current version), but to ``written``."""
    releases = Releases(service.hold_rules, written)
    for entry, current in deleted:
        with about(entry):
            await releases.add(current)
    return releases.writes


async def eligibility_answers(
    service: ResourceService,
    access: Access,
    requests: list[tuple[RequestEntry, Key, dict[str, Any]]],
    view: Mapping[Key, StoredVersion | None],
) -> list[Write]:
    """The responses to the posted requests (entry, its resource, its body), read through
    the transaction's ``view``."""
    answers: list[Write] = []
    for entry, key, body in requests:
        with about(entry):
            access.require(eligibility.RESPONSE, "c")
            access.require("Coverage", "r")
            with planned(view):
                source = eligibility.OnFileEligibility(service.store)
                answers.append(await eligibility.respond(service, source, body, key[1]))
    return answers

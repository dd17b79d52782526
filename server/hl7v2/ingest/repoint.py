"""A merge moves the record: the resources that reference the retired Patient, and the
Provenance of the move.

Which resources: the members of the Patient compartment (compartmentdefinition-patient)
of the held types, found by their compartment parameters, in pages of ``PAGE``.
AuditEvent and Provenance are left alone: they record what happened to the record
then, under the id it had. Each is repointed by a new version in the merge's own
write (plan.py), and one Provenance names the merge and every version it wrote.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from mappers.identity import deterministic_id
from server.fhir.clock import fhir_instant, now_us
from server.registry import HELD_TYPES
from server.search.compartments import compartment_clause, compartment_params
from server.search.query import SearchQuery
from server.storage.port import Store

if TYPE_CHECKING:
    from server.interactions import ResourceService

PAGE = 500  # resources read per search page
# Searches for stragglers after a merge: each one that finds some is followed by another.
SWEEPS = 8
_RECORDS = frozenset({"Patient", "AuditEvent", "Provenance", "Bundle"})
LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

# The (type, id) of every current resource that references a Patient.
Referrers = Callable[[str], Awaitable[list[tuple[str, str]]]]


def member_types() -> list[str]:
    """The held types a merge repoints (compartment members, records of events aside)."""
    return sorted(t for t in compartment_params("Patient") if t in HELD_TYPES and t not in _RECORDS)


def referrers_in(store: Store) -> Referrers:
    """A ``Referrers`` reading ``store``."""

    async def find(patient_id: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for resource_type in member_types():
            clause = compartment_clause("Patient", patient_id, resource_type)
            cursor: str | None = None
            while True:
                query = SearchQuery(resource_type, (clause,), count=PAGE, cursor=cursor)
                page = await store.search(query)
                found.extend((v.resource_type, v.id) for v in page.versions)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        return found

    return find


async def repoint_stragglers(
    service: ResourceService, referrers: Referrers, retired: Iterable[str]
) -> None:
    """After a merge committed, repoint what still refers to a retired Patient.

    A record written after the merge searched for the Patient's records, by a writer
    that looked for merges before the merge committed, still names the retired
    Patient: found by searching again, it is repointed as a late client write is
    (ResourceService.follow_late_merges), until a search finds none left to move.
    """
    patients = list(retired)
    for _ in range(SWEEPS):
        moved = 0
        for patient in patients:
            for key in await referrers(patient):
                stored = await service.store.read(*key)
                if stored is not None and await service.follow_late_merges(stored) is not stored:
                    moved += 1
        if not moved:
            return


def merge_provenance(
    source: str, sender: str, message_type: str, targets: list[str], recorded: int | None
) -> dict[str, Any]:
    """The Provenance of a merge: the versions it wrote, and the message (or request).

    ``recorded`` is the merge's event time (so re-importing an archive writes the same
    Provenance), now when the message had none.
    """
    return {
        "resourceType": "Provenance",
        "id": deterministic_id("Provenance", "merge", source),
        "target": [{"reference": target} for target in targets],
        "recorded": fhir_instant(recorded if recorded is not None else now_us()),
        "activity": {"coding": [{"system": LIFECYCLE, "code": "merge", "display": "Merge Record"}]},
        "agent": [
            {
                "type": {"coding": [{"system": PARTICIPANT, "code": "assembler"}]},
                "who": {"display": sender},
            }
        ],
        "entity": [
            {
                "role": "source",
                "what": {
                    "identifier": {"system": "urn:ietf:rfc:3986", "value": source},
                    "display": message_type,
                },
            }
        ],
    }

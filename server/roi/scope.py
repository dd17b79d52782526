"""A patient's records as a release sees them: the Patient compartment, page by page.

The record types are the held types of the Patient compartment; the workflow's own
types (Task, AuditEvent, Provenance, Bundle) are the server's records about releases,
never released themselves, nor are the types that name other patients (a Group).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Final

from server.registry import HELD_TYPES
from server.search.compartments import compartment_clause, compartment_params
from server.search.query import SearchQuery
from server.storage.port import Store, StoredVersion

WORKFLOW_TYPES: Final = frozenset(name for name, held in HELD_TYPES.items() if held.workflow)
RECORD_TYPES: Final = frozenset(
    name
    for name in compartment_params("Patient")
    if name in HELD_TYPES and name not in WORKFLOW_TYPES and HELD_TYPES[name].released
)
_PAGE = 1000  # one store query per thousand resources; the pages are not kept


async def compartment_versions(
    store: Store, patient_id: str, types: Iterable[str]
) -> AsyncIterator[StoredVersion]:
    """Yield the current version of every resource of ``types`` in the patient's compartment."""
    for resource_type in sorted(types):
        clause = compartment_clause("Patient", patient_id, resource_type)
        cursor: str | None = None
        while True:
            query = SearchQuery(resource_type, (clause,), count=_PAGE, cursor=cursor)
            page = await store.search(query)
            for version in page.versions:
                yield version
            if page.next_cursor is None:
                break
            cursor = page.next_cursor

"""Client writes follow merges: a reference to a Patient merged away points at its survivor.

A merge repoints every record of the retired Patient (ingest_repoint). A client that read
a record before the merge and writes it back after (a blind ``PUT``, or one racing the
merge) would point it at the retired Patient again, and the record would leave the
survivor's compartment. So a client's create, update or patch of a type a merge moves
(``repoint.member_types``) has its ``Patient/{retired}`` references rewritten to the
survivor, as HL7v2 ingest does for a message naming a retired identifier
(ingest_identity). The service calls this before each attempt to store, and pins the
version of every Patient the write then names in the write's ``requires``: a merge
committed before the read is seen here, one committed after it changed the Patient, so
the store refuses the write (ReferenceChanged) and the service runs it again, which
sees the merge then. A merge's own search for the Patient's records that ran before
such a write committed is followed by another after the merge's commit
(repoint.repoint_stragglers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from server.hl7v2.ingest.identity import rewrite_patient_references, survivor_of
from server.hl7v2.ingest.reads import Reader
from server.hl7v2.ingest.repoint import member_types
from server.storage.port import StoredVersion

if TYPE_CHECKING:
    from server.interactions import ResourceService

_PATIENT_REFERENCE = re.compile(rb'"reference":"Patient/([^"/]+)"')
_MERGED = b'"replaced-by"'


# The Patients a client write names after following merges, each at the version read
# (``Write.requires``): a merge of one committed before the write makes the store refuse it.
Pins = tuple[tuple[str, str, int], ...]


class MergedPatients:
    """Rewrites a client write's references to merged Patients (see the module docstring)."""

    def __init__(self, store: Reader) -> None:
        self.store = store
        self.types = frozenset(member_types())

    async def __call__(self, resource: dict[str, Any]) -> Pins:
        """Point the resource's references to merged Patients at their survivors (in place);
        return the versions of the Patients it then names, for the write to pin."""
        if resource.get("resourceType") not in self.types:
            return ()
        named = sorted({m.decode() for m in _PATIENT_REFERENCE.findall(orjson.dumps(resource))})
        if not named:
            return ()
        found = await self.store.read_many([("Patient", patient) for patient in named])
        current = {key[1]: version for key, version in found.items() if version is not None}
        merged = [
            patient
            for patient, version in current.items()
            if version.body is not None and _MERGED in version.body
        ]
        moved: dict[str, str] = {}
        for patient in merged:
            survivor = await survivor_of(patient, partial(self._body, current))
            if survivor != patient:
                moved[patient] = survivor
        if moved:
            rewrite_patient_references(resource, moved)
        kept = {moved.get(patient, patient) for patient in named}
        return tuple(
            ("Patient", patient, current[patient].version)
            for patient in sorted(kept)
            if patient in current
        )

    async def _body(
        self, seen: dict[str, StoredVersion], resource_type: str, resource_id: str
    ) -> dict[str, Any] | None:
        """A Patient's body, its version kept in ``seen``."""
        version = seen.get(resource_id) or await self.store.read(resource_type, resource_id)
        if version is None or version.body is None:
            return None
        seen[resource_id] = version
        body: dict[str, Any] = orjson.loads(version.body)
        return body


async def follow_late_merges(
    service: ResourceService, reader: Reader, versions: Sequence[StoredVersion]
) -> None:
    """After a write committed, repoint what it stored that names a Patient merged away
    meanwhile (ResourceService.follow_late_merges); one read when none was merged, through
    ``reader`` (the ingestor's BatchedReader: the messages committed in one turn of the
    event loop share a store call, and a read sent after the commit sees it)."""
    types = frozenset(member_types())
    moved = [v for v in versions if v.resource_type in types and v.body is not None]
    named = {m.decode() for v in moved for m in _PATIENT_REFERENCE.findall(v.body or b"")}
    # A Patient written with them was compare-and-swapped: a merge of it since the read
    # would have failed the write.
    named -= {v.id for v in versions if v.resource_type == "Patient"}
    if not named:
        return
    found = await reader.read_many([("Patient", patient) for patient in sorted(named)])
    if not any(v is not None and v.body is not None and _MERGED in v.body for v in found.values()):
        return
    for version in moved:
        await service.follow_late_merges(version)

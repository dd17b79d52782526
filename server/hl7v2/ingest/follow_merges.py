"""Client writes follow merges: a reference to a Patient merged away points at its survivor.

A merge repoints every record of the retired Patient (ingest_repoint). A client that read
a record before the merge and writes it back after (a blind ``PUT``, or one racing the
merge) would point it at the retired Patient again, and the record would leave the
survivor's compartment. So a client's create, update or patch of a type a merge moves
(``repoint.member_types``) has its ``Patient/{retired}`` references rewritten to the
survivor, as HL7v2 ingest does for a message naming a retired identifier
(ingest_identity). The service calls this after it read the version its write will
replace (compare-and-swap): a merge committed before that read is seen here, one
committed after it makes the write conflict and run again, which sees it then.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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


class MergedPatients:
    """Rewrites a client write's references to merged Patients (see the module docstring)."""

    def __init__(self, store: Reader) -> None:
        self.store = store
        self.types = frozenset(member_types())

    async def __call__(self, resource: dict[str, Any]) -> None:
        """Point the resource's references to merged Patients at their survivors (in place)."""
        if resource.get("resourceType") not in self.types:
            return
        named = sorted({m.decode() for m in _PATIENT_REFERENCE.findall(orjson.dumps(resource))})
        if not named:
            return
        found = await self.store.read_many([("Patient", patient) for patient in named])
        merged = [
            key[1]
            for key, version in found.items()
            if version is not None and version.body is not None and _MERGED in version.body
        ]
        moved: dict[str, str] = {}
        for patient in merged:
            survivor = await survivor_of(patient, self._body)
            if survivor != patient:
                moved[patient] = survivor
        if moved:
            rewrite_patient_references(resource, moved)

    async def _body(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        version = await self.store.read(resource_type, resource_id)
        if version is None or version.body is None:
            return None
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

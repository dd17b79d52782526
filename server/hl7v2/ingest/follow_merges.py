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
(repoint.repoint_stragglers). HL7v2 ingest pins the same way the Patients its message
names (``pin_patients``), at the versions its plan read while following merges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cache, partial
from typing import Any

import orjson

from server.hl7v2.ingest.identity import rewrite_patient_references, survivor_of
from server.hl7v2.ingest.reads import Reader
from server.hl7v2.ingest.repoint import member_types
from server.interactions import pinned
from server.storage.port import StoredVersion, Write

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


def pin_patients(
    writes: Mapping[str, Write], patients: Mapping[str, StoredVersion | None]
) -> dict[str, Write]:
    """The writes of a message, each of a type a merge moves pinning the version of every
    Patient it names (``Write.requires``) at the version the message's plan read
    (``patients``, by id): a merge of one committed since then makes the store refuse
    the write, and the message is planned again, which sees the merge. A Patient the
    message writes itself is compare-and-swapped already, and one not stored (or deleted)
    cannot be merged away."""
    types = _member_types()
    written = {w.version.id for w in writes.values() if w.version.resource_type == "Patient"}
    pinned_writes: dict[str, Write] = {}
    for reference, write in writes.items():
        version = write.version
        if version.resource_type in types and version.body is not None:
            named = {m.decode() for m in _PATIENT_REFERENCE.findall(version.body)} - written
            pins = tuple(
                ("Patient", patient, found.version)
                for patient in sorted(named)
                if (found := patients.get(patient)) is not None and not found.deleted
            )
            if pins:
                write = replace(write, requires=pinned(write.requires, pins))
        pinned_writes[reference] = write
    return pinned_writes


def unread_patients(writes: Mapping[str, Write], patients: Mapping[str, object]) -> list[str]:
    """The Patients the writes of a type a merge moves name that are not in ``patients``."""
    types = _member_types()
    named = {
        m.decode()
        for w in writes.values()
        if w.version.resource_type in types
        for m in _PATIENT_REFERENCE.findall(w.version.body or b"")
    }
    return sorted(named - patients.keys())


@cache
def _member_types() -> frozenset[str]:
    return frozenset(member_types())

"""Which resources of the snapshot a job writes: its level, ``_since``, the token's scopes.

A Patient-level export holds every resource of the Patient compartment's types; a
Group-level one only those in the compartments of the Group's members (its
``member.entity`` Patient references, as the Group was at the snapshot). Under a token
whose scopes confine a type (``patient/`` scopes to the launch patient's compartment,
granular criteria to their filter) each resource is tested against those restrictions,
the same clauses a search of that type is ANDed with (server.auth.access).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from server.audit.patients import patients_of
from server.auth.access import Access, Restrictions
from server.bulk.job import ExportJob
from server.bulk.request import Level
from server.search.matching import matches
from server.search.references import split_reference
from server.storage.port import StoredVersion


@dataclass(frozen=True, slots=True)
class Selection:
    """The test one job applies to each version its snapshot reads."""

    since: int | None
    patients: frozenset[str] | None  # None: no compartment limit
    restrictions: dict[str, Restrictions]
    base_urls: tuple[str, ...]

    def keeps(self, version: StoredVersion) -> bool:
        if self.since is not None and version.last_updated <= self.since:
            return False
        if self.patients is not None and not self._in_compartment(version):
            return False
        confined = self.restrictions.get(version.resource_type)
        return not confined or matches(version, confined, self.base_urls)

    def _in_compartment(self, version: StoredVersion) -> bool:
        patients = self.patients or frozenset()
        if version.resource_type == "Patient":
            return version.id in patients
        resource = orjson.loads(version.body or b"{}")
        return bool(patients_of(resource, self.base_urls) & patients)


def selection(
    job: ExportJob, access: Access, members: frozenset[str] | None, base_urls: tuple[str, ...]
) -> Selection:
    """The selection of ``job`` run with ``access`` (the kick-off token's, rebuilt)."""
    restrictions = {t: access.restrictions(t, "r") for t in job.types}
    patients = members if job.level is Level.GROUP else None
    return Selection(job.since, patients, restrictions, base_urls)


def group_members(group: StoredVersion | None, base_urls: tuple[str, ...]) -> frozenset[str]:
    """The ids of the Patients a Group's members name."""
    if group is None or group.body is None:
        return frozenset()
    members: set[str] = set()
    for member in orjson.loads(group.body).get("member") or ():
        entity = member.get("entity") if isinstance(member, dict) else None
        reference = entity.get("reference") if isinstance(entity, dict) else None
        if isinstance(reference, str):
            target_type, target_id, _ = split_reference(reference, base_urls)
            if target_type == "Patient" and target_id is not None:
                members.add(target_id)
    return frozenset(members)

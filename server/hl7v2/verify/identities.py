"""Each patient identifier of the archive (PID-3 value and authority) and its Patient now.

The Patient a message's identifier maps to is followed through ``replaced-by`` links
(merges, ``server.hl7v2.ingest.identity``) to the one that holds the record today:
its status is ``current`` (not merged), ``merged`` (resolved to a survivor),
``missing`` (no such Patient) or ``deleted``; an identifier whose messages lead to
more than one current Patient is ``ambiguous``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson

from server.hl7v2.ingest.identity import replaced_by
from server.hl7v2.verify.expectations import PatientIdentifier
from server.storage.port import Store

_MAX_HOPS = 16
_READ_BATCH = 500


class Identities:
    """The archive's identifiers and the Patient ids its messages mapped them to."""

    def __init__(self) -> None:
        self.patients: defaultdict[tuple[str, str], set[str]] = defaultdict(set)

    def add(self, identifiers: list[PatientIdentifier]) -> None:
        for identifier in identifiers:
            self.patients[(identifier.value, identifier.authority)].add(identifier.patient_id)

    async def resolve(self, store: Store) -> list[dict[str, Any]]:
        """Each identifier with its Patients, what they resolve to, and a status."""
        wanted = {p for ids in self.patients.values() for p in ids}
        final = await resolve_patients(store, wanted)
        found = []
        for (value, authority), ids in sorted(self.patients.items()):
            ends = {final[p] for p in sorted(ids)}
            statuses = {status for _, status in ends}
            current = sorted({f"Patient/{p}" for p, status in ends if p})
            if "missing" in statuses or "deleted" in statuses:
                status = "missing" if "missing" in statuses else "deleted"
            elif len(current) > 1:
                status = "ambiguous"
            else:
                status = "merged" if "merged" in statuses else "current"
            found.append(
                {
                    "identifier": {"value": value, "authority": authority},
                    "patients": sorted(f"Patient/{p}" for p in ids),
                    "resolves_to": current,
                    "status": status,
                }
            )
        return found


async def resolve_patients(store: Store, ids: set[str]) -> dict[str, tuple[str, str]]:
    """Patient id -> (the id it resolves to, status), following ``replaced-by`` links."""
    links: dict[str, str | None] = {}  # id -> replaced-by id, None: current
    status: dict[str, str] = {}
    frontier = set(ids)
    for _ in range(_MAX_HOPS):
        frontier -= set(links) | set(status)
        if not frontier:
            break
        ordered = sorted(frontier)
        found = {}
        for start in range(0, len(ordered), _READ_BATCH):
            chunk = [("Patient", p) for p in ordered[start : start + _READ_BATCH]]
            found.update(await store.read_many(chunk))
        frontier = set()
        for (_, patient), version in found.items():
            if version is None or version.body is None:
                status[patient] = "missing" if version is None else "deleted"
                continue
            following = replaced_by(orjson.loads(version.body))
            links[patient] = following
            if following is not None:
                frontier.add(following)
    return {patient: _end(patient, links, status) for patient in ids}


def _end(patient: str, links: dict[str, str | None], status: dict[str, str]) -> tuple[str, str]:
    current, hops = patient, 0
    while hops < _MAX_HOPS and links.get(current) is not None:
        current = str(links[current])
        hops += 1
    if current in status:
        return "", status[current]
    return current, "merged" if hops else "current"

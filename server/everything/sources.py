"""What one patient's record is made of, as searches: one per type, in a fixed order.

The record (operation-patient-everything) is the patient, every resource of its Patient
compartment (the generated CompartmentDefinition, server.search.compartments), and the
resources of the held types outside the compartment (practitioners, organizations,
locations) that those reference through a reference search parameter. Each part is a
search the stores page by keyset, so a walk over the parts in order is stable while
data changes: the referenced resources are found by ``_has`` from the compartment's
members, never collected in memory.

Access: every search is confined by the token's search restrictions on its type (and
the ``_has`` sources by theirs, so a reference from a resource the token may not see
reveals nothing); a type the token may not search is left out, unless ``_type`` names
it, which is a 403 as for a compartment search of that type.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.auth.access import Access
from server.auth.operations import referenced_types
from server.everything.params import EverythingParams
from server.registry import HELD_TYPES
from server.search.compartments import compartment_clause, compartment_params
from server.search.definitions import reference_params_to
from server.search.query import Clause, HasCond


@dataclass(frozen=True, slots=True)
class Source:
    """One part of a record: the current resources of a type matching every clause."""

    resource_type: str
    clauses: tuple[Clause, ...]


def member_types() -> tuple[str, ...]:
    """The held types of the Patient compartment: Patient first, then by name."""
    members = sorted(t for t in compartment_params("Patient") if t in HELD_TYPES)
    return ("Patient", *(t for t in members if t != "Patient"))


def record_sources(patient_id: str, params: EverythingParams, access: Access) -> list[Source]:
    """The searches of one patient's record, in the order a walk pages through them."""
    require_named(access, params)
    searchable = [t for t in member_types() if access.allows(t, "s")]
    sources = [
        Source(t, (compartment_clause("Patient", patient_id, t), *_confined(access, t, params)))
        for t in searchable
        if _wanted(access, t, params)
    ]
    for target in referenced_types():
        if not _wanted(access, target, params):
            continue
        referrers = tuple(
            HasCond(
                source,
                code,
                (
                    compartment_clause("Patient", patient_id, source),
                    *access.restrictions(source, "s"),
                ),
            )
            for source, codes in sorted(reference_params_to(target).items())
            if source in searchable
            for code in codes
        )
        if referrers:
            sources.append(Source(target, (Clause(referrers), *_confined(access, target, params))))
    return sources


def require_named(access: Access, params: EverythingParams) -> None:
    """403 when ``_type`` names a type the token may not search."""
    for resource_type in sorted(params.types or ()):
        access.require(resource_type, "s")


def _wanted(access: Access, resource_type: str, params: EverythingParams) -> bool:
    named = params.types is None or resource_type in params.types
    return named and access.allows(resource_type, "s")


def _confined(access: Access, resource_type: str, params: EverythingParams) -> tuple[Clause, ...]:
    since = () if params.since is None else (params.since,)
    return (*since, *access.restrictions(resource_type, "s"))

"""The Patient CompartmentDefinition, narrowed to the held types."""

from __future__ import annotations

from collections.abc import Iterable

from server.spec.rendering import render
from server.spec.sources import PATIENT_COMPARTMENT, SpecDir, provenance

# The definition's own members kept beside its resource list; the narrative and
# contact details are left in the specification.
_KEPT = ("resourceType", "id", "url", "version", "name", "status", "code", "search")


def generate(spec: SpecDir, held: Iterable[str]) -> bytes:
    """The compartment's ``resource`` entries of the held types, sorted by code."""
    definition = spec.read(PATIENT_COMPARTMENT)
    names = set(held)
    members = sorted(
        (r for r in definition.get("resource", ()) if r["code"] in names),
        key=lambda r: str(r["code"]),
    )
    header = {"_generated": provenance(spec, PATIENT_COMPARTMENT)}
    header.update({key: definition[key] for key in _KEPT if key in definition})
    return render(header, "resource", members)

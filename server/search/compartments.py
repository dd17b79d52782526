"""The Patient compartment (compartmentdefinition-patient), as data: who belongs to a patient.

The held types' entries are generated into ``server/spec/generated/compartment-patient.json``
(``python -m server.spec.generate``).

``GET /fhir/Patient/123/Appointment`` is a search of Appointments restricted to those
whose compartment parameters (``actor``) reference Patient/123.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import orjson

from server.search.query import Clause, ReferenceCond, TokenCond


@cache
def compartment_params(compartment: str) -> dict[str, tuple[str, ...]]:
    """For a compartment type, the member types and the parameters that link them to it."""
    if compartment != "Patient":
        return {}
    generated = resources.files("server.spec.generated")
    raw = generated.joinpath("compartment-patient.json").read_bytes()
    definition = orjson.loads(raw)
    return {
        entry["code"]: tuple(entry["param"])
        for entry in definition.get("resource", ())
        if entry.get("param")
    }


def compartment_clause(compartment: str, compartment_id: str, resource_type: str) -> Clause:
    """The clause restricting a search of ``resource_type`` to one compartment instance."""
    params = compartment_params(compartment).get(resource_type, ())
    links = [ReferenceCond(p, compartment, compartment_id) for p in params]
    if resource_type == compartment:  # the compartment's own resource belongs to it
        return Clause((*links, TokenCond("_id", None, compartment_id)))
    return Clause(tuple(links))

"""Whose data a resource is: the patients whose compartment it belongs to.

Read from the Patient CompartmentDefinition (``server.search.compartments``): a
resource belongs to the compartment of each Patient its compartment parameters
reference (an Observation its ``subject``/``performer``, a Claim its ``patient`` and
``payee``); a Patient to its own. Only those parameters' paths are evaluated, compiled
once per type.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import orjson

from server.search.compartments import compartment_params
from server.search.definitions import search_params
from server.search.paths import Evaluator, compile_expression
from server.search.references import split_reference
from server.storage.port import StoredVersion


@cache
def _links(resource_type: str) -> tuple[Evaluator, ...]:
    params = search_params(resource_type)
    names = compartment_params("Patient").get(resource_type, ())
    return tuple(
        compile_expression(expression)
        for name in names
        if (param := params.get(name)) is not None and (expression := param.expression)
    )


def patients_of(resource: dict[str, Any], base_urls: tuple[str, ...]) -> set[str]:
    """The ids of the patients whose compartment ``resource`` belongs to."""
    resource_type = str(resource.get("resourceType"))
    found: set[str] = set()
    if resource_type == "Patient" and isinstance(resource.get("id"), str):
        found.add(resource["id"])
    for evaluate in _links(resource_type):
        for value in evaluate(resource):
            literal = value.get("reference") if isinstance(value, dict) else value
            if isinstance(literal, str):
                target_type, target_id, _ = split_reference(literal, base_urls)
                if target_type == "Patient" and target_id is not None:
                    found.add(target_id)
    return found


def patients_of_versions(versions: Iterable[StoredVersion], base_urls: tuple[str, ...]) -> set[str]:
    """The patients of every version with a body (a Patient's own id needs no parsing)."""
    found: set[str] = set()
    for version in versions:
        if version.body is None:
            continue
        if version.resource_type == "Patient":
            found.add(version.id)
        elif _links(version.resource_type):
            found |= patients_of(orjson.loads(version.body), base_urls)
    return found

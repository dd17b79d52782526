"""RelatedPerson resources for people named beside the patient (NK1, IN1, GT1, CON)."""

from __future__ import annotations

from typing import Any

from mappers.context import MapContext
from mappers.fields import FieldReport
from mappers.identity import deterministic_id
from mappers.result import Action


def related_person(
    ctx: MapContext,
    patient_ref: dict[str, str],
    content: dict[str, Any],
    action: Action = Action.CREATE_ONLY,
    fields: FieldReport | None = None,
) -> dict[str, str] | None:
    """Emit a RelatedPerson of the patient and return a Reference to it.

    The id comes from the patient and the person's first identifier, else their first
    name (family and first given): the same person named by NK1 and by IN1-16 is one
    resource. Only NK1, whose segment describes the person, upserts; a name in IN1, GT1
    or CON is created when absent but never overwrites what NK1 said.
    """
    identifiers = content.get("identifier") or []
    names = content.get("name") or []
    if identifiers:
        key = [identifiers[0].get("system", ""), identifiers[0]["value"]]
    elif names:
        key = ["name", names[0].get("family", ""), *names[0].get("given", ())[:1]]
    else:
        return None
    patient_id = patient_ref["reference"].removeprefix("Patient/")
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": deterministic_id("RelatedPerson", patient_id, *key),
        "active": True,
        "patient": {"reference": patient_ref["reference"]},
        **content,
    }
    earlier = ctx.emitted("RelatedPerson", resource["id"])
    if earlier is not None:
        _merge(earlier, resource)
    return ctx.emit(resource, action, f"RelatedPerson {patient_id}|{'|'.join(key)}", fields)


def _merge(earlier: dict[str, Any], later: dict[str, Any]) -> None:
    """Add what a later segment says about a person already mapped (e.g. GT1 after NK1)."""
    relationships = earlier.setdefault("relationship", [])
    for relationship in later.get("relationship", ()):
        if relationship not in relationships:
            relationships.append(relationship)
    for element, value in later.items():
        earlier.setdefault(element, value)

"""ARV (access restrictions, v2.6+) and privacy flags to ``meta.security`` labels.

An ARV that adds or keeps a restriction (ARV-2 not ``D``) labels the resource
``R`` (restricted, v3-Confidentiality) and records the restricted item (ARV-3, table
0717: DEM demographics, LOC location, ...) so the consent engine can act on it.
"""

from __future__ import annotations

from typing import Any

from hl7.er7 import Segment
from mappers.components import code, comp
from mappers.context import MapContext
from mappers.fields import FieldReport

RESTRICTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
    "code": "R",
    "display": "restricted",
}
ACCESS_RESTRICTION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0717"
HANDLED = frozenset({1, 2, 3})


def add_security(resource: dict[str, Any], label: dict[str, Any]) -> dict[str, Any] | None:
    """Add a copy of a security label to ``resource`` unless it has it; return the copy."""
    labels = resource.setdefault("meta", {}).setdefault("security", [])
    identity = (label["system"], label["code"])
    if any((held.get("system"), held.get("code")) == identity for held in labels):
        return None
    added = dict(label)
    labels.append(added)
    return added


def map_arv(
    arv: Segment, resource: dict[str, Any], ctx: MapContext, report: FieldReport | None = None
) -> None:
    """Label ``resource`` with the restriction an ARV segment places on it.

    With ``report``, the ARV counts as sent (its labels replace the earlier ARV's).
    """
    ctx.fields_unmapped(arv, HANDLED)
    if report is not None:
        report.saw_segment("ARV")
    if arv.get(2).upper() == "D":
        return  # the restriction is lifted: the earlier ARV's labels go with it
    labels = [RESTRICTED]
    for rep in arv.reps(3):
        restricted = code(rep, 1)
        if restricted:
            label = {"system": ACCESS_RESTRICTION_SYSTEM, "code": restricted}
            if comp(rep, 2):
                label["display"] = comp(rep, 2)
            labels.append(label)
    for label in labels:
        added = add_security(resource, label)
        if report is not None and added is not None:
            report.produced("ARV", added)

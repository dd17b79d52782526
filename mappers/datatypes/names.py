"""XPN (and the name inside XCN) to FHIR HumanName (datatypes/XPN_HumanName_.csv)."""

from __future__ import annotations

from typing import Any

from mappers.codesystems import code_map
from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.rules import maps_components

NAME_USES = code_map("NameType")


def human_name(rep: Rep, first: int, use_at: int) -> dict[str, Any] | None:
    """Build a HumanName from the FN/given/middle/suffix/prefix/degree run at ``first``.

    XPN starts the run at component 1 and has its name type at 7; XCN starts at 2 and
    has it at 10.
    """
    family = comp(rep, first)
    given = [g for g in (comp(rep, first + 1), comp(rep, first + 2)) if g]
    if not family and not given:
        return None
    name: dict[str, Any] = {}
    if family:
        name["family"] = family
    if given:
        name["given"] = given
    suffix = [s for s in (comp(rep, first + 3), comp(rep, first + 5)) if s]
    if suffix:
        name["suffix"] = suffix
    prefix = comp(rep, first + 4)
    if prefix:
        name["prefix"] = [prefix]
    use = NAME_USES.code(comp(rep, use_at))
    if use:
        name["use"] = use
    return name


@maps_components(1, 2, 3, 4, 5, 6, 7, 12, 13, 14)
def xpn_name(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    """Map XPN: family, given, suffix (XPN.4, XPN.6), prefix, use, period (XPN.12/13)."""
    name = human_name(rep, 1, 7)
    if name is None:
        return None
    professional = comp(rep, 14)
    if professional:
        name.setdefault("suffix", []).append(professional)
    period = ctx.period(comp(rep, 12), comp(rep, 13), "XPN.12/13")
    if period:
        name["period"] = period
    return name


def name_text(name: dict[str, Any]) -> str:
    """Return a display form of a HumanName ("Given Middle Family")."""
    return " ".join([*name.get("given", ()), name.get("family", "")]).strip()

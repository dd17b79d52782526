"""Field maps several segments share: languages, yes/no flags, dates, positive numbers."""

from __future__ import annotations

from typing import Any

from mappers.codesystems import code_map
from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.datatypes.codes import CWE_COMPONENTS, cwe_in_table
from mappers.rules import maps_components

YES_NO = code_map("YesNoIndicator")
_LANGUAGE = cwe_in_table("0296")


@maps_components(*CWE_COMPONENTS)
def language(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    """Map a CWE language (table 0296) to a ``communication`` entry."""
    concept = _LANGUAGE(rep, ctx)
    return {"language": concept} if concept else None


def yes_no(value: str) -> bool | None:
    """Return the boolean of a table 0136 Y/N value, None for anything else."""
    concept = YES_NO.get(value)
    return None if concept is None else concept.code == "true"


@maps_components(1, 2)
def fhir_date(rep: Rep, ctx: MapContext) -> str | None:
    """Map a DT/DTM field to a FHIR date."""
    return ctx.date(comp(rep, 1), "date")

"""``_summary`` and ``_elements``: return part of a resource, marked SUBSETTED.

Which elements are in the summary is the specification's data (``isSummary``), read
from fhir.resources' model metadata, not a list kept here.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any

from server.errors import InvalidRequest
from server.registry import model_class

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}
_ALWAYS = frozenset({"resourceType", "id", "meta"})


class Summary(StrEnum):
    TRUE = "true"
    TEXT = "text"
    DATA = "data"
    COUNT = "count"
    FALSE = "false"


def parse_summary(value: str | None) -> Summary | None:
    """Read a ``_summary`` value; 400 for anything else."""
    if value is None:
        return None
    try:
        return Summary(value)
    except ValueError:
        allowed = ", ".join(s.value for s in Summary)
        raise InvalidRequest(
            f"_summary must be one of {allowed}, got {value!r}", expression="_summary"
        ) from None


def parse_elements(value: str | None) -> frozenset[str] | None:
    """Read a comma-separated ``_elements`` list of top-level element names."""
    if value is None:
        return None
    names = frozenset(part.strip() for part in value.split(",") if part.strip())
    if not names or any(not name.replace("[x]", "").isalnum() for name in names):
        raise InvalidRequest(
            f"_elements {value!r} is not a list of element names", expression="_elements"
        )
    return names


@cache
def summary_elements(resource_type: str) -> frozenset[str]:
    """Return the JSON names of a type's summary elements."""
    names: set[str] = set()
    for name, field in model_class(resource_type).model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("summary_element_property") or extra.get("element_required"):
            names.add(field.alias or name)
    return frozenset(names)


def _mark(resource: dict[str, Any]) -> dict[str, Any]:
    meta = dict(resource.get("meta") or {})
    tags = [t for t in meta.get("tag", []) if t.get("code") != "SUBSETTED"]
    meta["tag"] = [*tags, SUBSETTED]
    resource["meta"] = meta
    return resource


def _matches(name: str, wanted: frozenset[str]) -> bool:
    if name in wanted:
        return True
    # A choice element: "deceased" asks for deceasedBoolean / deceasedDateTime.
    return any(name.startswith(w) and name[len(w) : len(w) + 1].isupper() for w in wanted)


def subset(
    resource: dict[str, Any], summary: Summary | None, elements: frozenset[str] | None
) -> dict[str, Any]:
    """Return the resource reduced as ``_summary``/``_elements`` ask (unchanged if neither)."""
    if summary in (None, Summary.FALSE, Summary.COUNT) and elements is None:
        # count only shapes a search Bundle (no entries); a single resource is whole.
        return resource
    resource_type = resource["resourceType"]
    if summary is Summary.TEXT:
        keep = _ALWAYS | {"text"} | {n for n in summary_elements(resource_type) if n in ("status",)}
        return _mark({k: v for k, v in resource.items() if k in keep})
    if summary is Summary.DATA:
        return _mark({k: v for k, v in resource.items() if k != "text"})
    if summary is Summary.TRUE:
        keep = _ALWAYS | summary_elements(resource_type)
        return _mark({k: v for k, v in resource.items() if k in keep})
    assert elements is not None
    return _mark({k: v for k, v in resource.items() if k in _ALWAYS or _matches(k, elements)})

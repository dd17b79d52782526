"""``$meta``, ``$meta-add`` and ``$meta-delete`` (resource-operations.html#meta): the sets in meta.

Profiles, tags and security labels are sets: a tag or label is known by its system and
code (version and display are ignored when matching), a profile by its URL. The
``meta`` parameter's other elements (versionId, lastUpdated, source) are not the
client's to change and are ignored.

The specification lets ``$meta-add`` and ``$meta-delete`` change a version's meta in place.
fhirport writes a new version instead (the rest of the resource unchanged), and none when
the sets do not change: versions here are immutable, so a label change is in the
history with who made it (the audit trail), moves the ETag that concurrent writers test,
and stays out of a Bulk Data export's snapshot that was taken before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.errors import InvalidRequest

CODED = ("security", "tag")  # the Coding sets, by their Meta element
SETS = ("profile", *CODED)
_IN = "Parameters.parameter[0].valueMeta"


def meta_in(parameters: Any) -> dict[str, Any]:
    """The ``meta`` of a ``$meta-add``/``$meta-delete`` Parameters body (400 when malformed)."""
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise InvalidRequest("The body must be a Parameters resource", expression="resourceType")
    given = parameters.get("parameter")
    if (
        not isinstance(given, list)
        or len(given) != 1
        or not isinstance(given[0], dict)
        or given[0].get("name") != "meta"
        or not isinstance(given[0].get("valueMeta"), dict)
    ):
        raise InvalidRequest(
            "The Parameters must hold one parameter named meta with a valueMeta",
            expression="Parameters.parameter",
        )
    meta: dict[str, Any] = given[0]["valueMeta"]
    profiles = meta.get("profile", [])
    if not isinstance(profiles, list) or not all(isinstance(p, str) and p for p in profiles):
        raise InvalidRequest("meta.profile must be a list of URLs", expression=f"{_IN}.profile")
    for element in CODED:
        codings = meta.get(element, [])
        if not isinstance(codings, list) or not all(_is_coding(c) for c in codings):
            raise InvalidRequest(
                f"meta.{element} must be a list of Codings with a code",
                expression=f"{_IN}.{element}",
            )
    return {element: meta[element] for element in SETS if meta.get(element)}


def _is_coding(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("code"), str)
        and isinstance(value.get("system", ""), str)
    )


def added(meta: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """``meta`` with the profiles, tags and labels of ``more`` that it lacks."""
    result = dict(meta)
    for element in SETS:
        have = list(meta.get(element, []))
        keys = {_key(element, item) for item in have}
        for item in more.get(element, []):
            if _key(element, item) not in keys:
                have.append(item)
                keys.add(_key(element, item))
        if have:
            result[element] = have
    return result


def removed(meta: dict[str, Any], less: dict[str, Any]) -> dict[str, Any]:
    """``meta`` without the profiles, tags and labels of ``less``."""
    result = dict(meta)
    for element in SETS:
        gone = {_key(element, item) for item in less.get(element, [])}
        kept = [item for item in meta.get(element, []) if _key(element, item) not in gone]
        if kept:
            result[element] = kept
        else:
            result.pop(element, None)
    return result


def summary(metas: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The union of the sets of many resources' meta (``$meta`` of a type or the system)."""
    union: dict[str, Any] = {}
    for meta in metas:
        union = added(union, meta)
    return {element: union[element] for element in SETS if element in union}


def meta_out(meta: dict[str, Any]) -> dict[str, Any]:
    """The operations' answer: Parameters with the Meta as ``return``."""
    return {"resourceType": "Parameters", "parameter": [{"name": "return", "valueMeta": meta}]}


def _key(element: str, item: Any) -> Any:
    if element == "profile":
        return item
    return (item.get("system"), item.get("code"))

"""A strict walk of a resource's JSON: what pydantic's lax parsing would let through.

Checks, with a FHIRPath ``expression`` for each finding:
- JSON types of primitives (``"active": "yes"`` is not a boolean),
- required code bindings (``Patient.gender = "robot"``),
- ``null`` where FHIR JSON forbids it, and keys beginning with ``$`` (never let a
  client's document carry database operators into a store),
- the ids a body writes: a resource's ``id`` (contained ones too) and relative
  ``Reference.reference`` values (``server.fhir.references``).
"""

from __future__ import annotations

from typing import Any

from server.errors import Issue
from server.fhir.element_path import Path, expression
from server.fhir.element_schema import Element, Kind, elements_of
from server.fhir.references import id_problem, reference_problem
from server.registry import HELD_TYPES

_JSON_CHECK: dict[Kind, tuple[type, ...]] = {
    Kind.BOOLEAN: (bool,),
    Kind.INTEGER: (int,),
    Kind.DECIMAL: (int, float),
    Kind.STRING: (str,),
    Kind.COMPLEX: (dict,),
    Kind.RESOURCE: (dict,),
}


def strict_issues(resource: dict[str, Any], type_name: str) -> list[Issue]:
    """Return every strictness finding in ``resource``, read as a ``type_name``."""
    issues: list[Issue] = []
    _check_id(resource, type_name, issues)
    _walk_object(resource, type_name, type_name, issues)
    return issues


def _expression(path: Path) -> tuple[str]:
    return (expression(path),)


def _report(issues: list[Issue], message: str, code: str, where: Path) -> None:
    issues.append(Issue(message, code, expression=_expression(where)))


def _check_id(resource: dict[str, Any], where: Path, issues: list[Issue]) -> None:
    value = resource.get("id")
    problem = id_problem(value) if isinstance(value, str) else None
    if problem:
        _report(issues, problem, "value", (where, "id"))


def _check_reference(reference: dict[str, Any], where: Path, issues: list[Issue]) -> None:
    value = reference.get("reference")
    problem = reference_problem(value) if isinstance(value, str) else None
    if problem:
        _report(issues, problem, "value", (where, "reference"))


def _walk_object(obj: dict[str, Any], type_name: str, path: Path, issues: list[Issue]) -> None:
    try:
        elements = elements_of(type_name)
    except (KeyError, ValueError, AttributeError):
        elements = {}
    if type_name == "Reference":
        _check_reference(obj, path, issues)
    for key, value in obj.items():
        if key.startswith("$"):
            _report(issues, f"Element name '{key}' is not allowed", "invalid", (path, key))
            continue
        element = elements.get(key)
        if element is None:
            _reject_operator_keys(value, (path, key), issues)
            continue
        if value is None:
            _report(issues, "null is not a valid FHIR JSON value", "structure", (path, key))
            continue
        if element.is_list:
            if not isinstance(value, list):
                _report(issues, "Expected a JSON array", "structure", (path, key))
                continue
            nulls_allowed = key.startswith("_")  # primitive extensions keep array positions
            where = (path, key)
            for index, item in enumerate(value):
                if item is None and nulls_allowed:
                    continue
                _check_item(element, item, (where, index), issues)
        else:
            _check_item(element, value, (path, key), issues)


def _check_item(element: Element, value: Any, where: Path, issues: list[Issue]) -> None:
    expected = _JSON_CHECK[element.kind]
    if not isinstance(value, expected) or (
        element.kind in (Kind.INTEGER, Kind.DECIMAL) and isinstance(value, bool)
    ):
        _report(issues, f"Expected a JSON {element.kind.value}", "structure", where)
        return
    if element.codes is not None and value not in element.codes:
        allowed = ", ".join(sorted(element.codes))
        _report(
            issues,
            f"'{value}' is not in the required value set (allowed: {allowed})",
            "code-invalid",
            where,
        )
    elif not isinstance(value, dict):
        return
    elif element.kind is Kind.COMPLEX and element.datatype:
        _walk_object(value, element.datatype, where, issues)
    elif element.kind is Kind.RESOURCE:
        contained_type = value.get("resourceType")
        if not isinstance(contained_type, str) or contained_type not in HELD_TYPES:
            _report(
                issues,
                f"Contained resource type {contained_type!r} is not supported",
                "not-supported",
                where,
            )
            return
        _check_id(value, where, issues)
        _walk_object(value, contained_type, where, issues)


def _reject_operator_keys(value: Any, where: Path, issues: list[Issue]) -> None:
    """Look inside elements unknown to the schema, so no `$` key hides there."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$"):
                _report(issues, f"Element name '{key}' is not allowed", "invalid", where)
            else:
                _reject_operator_keys(item, (where, key), issues)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_operator_keys(item, (where, index), issues)

"""Turn a request body into a validated resource dict, or raise with every finding.

Validation happens once, on the way in: the strict parse (repeated keys, control
characters), the strict JSON walk, then fhir.resources' R4B model for structure (unknown
elements, cardinality, formats). The validated dict is what gets stored; the model
instance is thrown away (serving never rebuilds it).
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from server.errors import InvalidRequest, InvalidResource, Issue
from server.fhir.control_chars import control_character_issues, may_hold_control_characters
from server.fhir.strict_json import strict_issues
from server.fhir.strict_parse import TOO_DEEP, parse_json
from server.registry import model_class

# pydantic error kinds -> FHIR issue types (http://hl7.org/fhir/issue-type)
_ISSUE_TYPE_BY_ERROR: dict[str, str] = {
    "extra_forbidden": "structure",
    "missing": "required",
    "string_pattern_mismatch": "value",
    "value_error": "value",
    "string_type": "structure",
    "int_type": "structure",
    "bool_type": "structure",
    "model_type": "structure",
    "list_type": "structure",
    "dict_type": "structure",
    "date_from_datetime_parsing": "value",
    "datetime_parsing": "value",
    "date_parsing": "value",
    "decimal_parsing": "value",
    "int_parsing": "value",
    "greater_than_equal": "value",
    "less_than_equal": "value",
    "too_short": "required",
}
_DIAGNOSTICS_BY_ERROR: dict[str, str] = {
    "extra_forbidden": "Unknown element",
    "missing": "Required element is missing",
}


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Parse a JSON body that must be an object (strictly: see ``strict_parse``)."""
    document = parse_json(raw)
    if not isinstance(document, dict):
        raise InvalidRequest("Body must be a JSON object")
    return document


def validate_resource(resource: dict[str, Any], expected_type: str) -> None:
    """Raise InvalidResource unless ``resource`` is a valid ``expected_type``."""
    found = resource.get("resourceType")
    if found != expected_type:
        raise InvalidResource(
            f"resourceType {found!r} does not match the URL's type {expected_type!r}",
            expression="resourceType",
            code="invalid",
        )
    issues = strict_issues(resource, expected_type)
    try:
        serialized = orjson.dumps(resource)
    except orjson.JSONEncodeError:
        raise InvalidResource(TOO_DEEP, code="structure") from None
    # Request bodies were checked as parsed; resources built by the server are checked here.
    if may_hold_control_characters(serialized):
        issues.extend(control_character_issues(resource, expected_type))
    issues.extend(_model_issues(resource, expected_type))
    if issues:
        raise InvalidResource(issues[0].diagnostics, issues=_dedupe(issues))


def _model_issues(resource: dict[str, Any], type_name: str) -> list[Issue]:
    try:
        model_class(type_name).model_validate(resource)
    except ValidationError as exc:
        return [_issue_from_error(type_name, error) for error in exc.errors()]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        # fhir.resources raises bare errors for some shapes (an unknown contained type).
        return [Issue(f"Invalid resource structure: {type(exc).__name__}", "structure")]
    return []


def _issue_from_error(type_name: str, error: Any) -> Issue:
    kind = str(error.get("type", ""))
    expression = _fhirpath(type_name, error.get("loc", ()))
    message = _DIAGNOSTICS_BY_ERROR.get(kind) or str(error.get("msg", "Invalid value"))
    return Issue(
        diagnostics=f"{message} at {expression}",
        code=_ISSUE_TYPE_BY_ERROR.get(kind, "invalid"),
        expression=(expression,),
    )


def _fhirpath(type_name: str, loc: tuple[Any, ...]) -> str:
    path = type_name
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "__root__":
            path += f".{part}"
    return path


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    unique: list[Issue] = []
    for issue in issues:
        key = (issue.code, issue.expression)
        if key not in seen:
            seen.add(key)
            unique.append(issue)
    return unique

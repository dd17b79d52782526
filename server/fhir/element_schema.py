"""The JSON shape of every FHIR element, read once from fhir.resources' model metadata.

fhir.resources validates structure, but it coerces JSON types (``"active": "yes"`` becomes
``True``) and ignores required code bindings. The facts it carries (each element's
JSON name, primitive kind, cardinality and, for required bindings, the allowed codes in
``enum_values``) are compiled here into a table the strict walk in
``server.fhir.strict_json`` checks against.
"""

from __future__ import annotations

import datetime
import decimal
import types
import typing
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any

import orjson
from pydantic import BaseModel

from server.registry import model_class


class Kind(Enum):
    """The JSON representation of an element."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    DECIMAL = "decimal"
    STRING = "string"
    COMPLEX = "complex"
    RESOURCE = "resource"


@dataclass(frozen=True, slots=True)
class Element:
    """One element of a datatype or resource as it appears in JSON."""

    name: str
    kind: Kind
    is_list: bool
    datatype: str | None  # the complex type's name, for COMPLEX
    codes: frozenset[str] | None  # the allowed codes of a required binding


_PRIMITIVES: dict[type, Kind] = {
    bool: Kind.BOOLEAN,
    int: Kind.INTEGER,
    decimal.Decimal: Kind.DECIMAL,
    float: Kind.DECIMAL,
    str: Kind.STRING,
    datetime.date: Kind.STRING,
    datetime.datetime: Kind.STRING,
    datetime.time: Kind.STRING,
    bytes: Kind.STRING,
}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Optional/List/Annotated; tell whether the element repeats."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Union or origin is types.UnionType:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin in (list, typing.List):  # noqa: UP006 - fhir.resources uses typing.List
            is_list = True
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation, is_list


def _element(alias: str, annotation: Any, extra: dict[str, Any]) -> Element:
    inner, is_list = _unwrap(annotation)
    codes = extra.get("enum_values")
    frozen_codes = frozenset(codes) if codes else None
    if inner in _PRIMITIVES:
        return Element(alias, _PRIMITIVES[inner], is_list, None, frozen_codes)
    # Complex types are forward references named "<Type>Type" (abc.HumanNameType).
    type_name = getattr(inner, "__name__", "")
    if type_name.endswith("Type"):
        type_name = type_name[: -len("Type")]
    if type_name == "Resource":
        return Element(alias, Kind.RESOURCE, is_list, None, None)
    return Element(alias, Kind.COMPLEX, is_list, type_name, None)


@cache
def elements_of(type_name: str) -> dict[str, Element]:
    """Return the JSON elements of a resource or datatype, keyed by JSON name."""
    model: type[BaseModel] = model_class(type_name)
    table: dict[str, Element] = {}
    for name, field in model.model_fields.items():
        if name in ("fhir_comments", "resource_type"):
            continue
        alias = field.alias or name
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        table[alias] = _element(alias, field.annotation, extra)
    for alias, codes in _supplemented_bindings().get(type_name, {}).items():
        if alias in table:
            table[alias] = replace(table[alias], codes=codes)
    return table


@cache
def _supplemented_bindings() -> dict[str, dict[str, frozenset[str] | None]]:
    """Required bindings the model metadata lacks or abbreviates, by model and element.

    Generated into ``server/spec/generated/required-bindings.json``; ``None`` clears a
    model's partial list for an element whose binding is not required.
    """
    generated = resources.files("server.spec.generated")
    raw = generated.joinpath("required-bindings.json").read_bytes()
    bindings: dict[str, dict[str, frozenset[str] | None]] = {}
    for entry in orjson.loads(raw)["bindings"]:
        codes = entry["codes"]
        model = bindings.setdefault(entry["model"], {})
        model[entry["element"]] = None if codes is None else frozenset(codes)
    return bindings

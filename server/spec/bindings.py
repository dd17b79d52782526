"""The required bindings the strict walk adds to the models' own code lists.

Every model a held type reaches (its backbone elements and datatypes, through
extensions too) is walked; each ``code`` element whose model lists no codes, or an
abbreviated list, is looked up in ``binding_sources`` and, when required, expanded
from ``valuesets.json``.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B import fhirtypes

from server.registry import model_class
from server.spec import binding_sources
from server.spec.rendering import render
from server.spec.sources import VALUE_SETS, SpecDir, SpecError, provenance
from server.spec.value_sets import ValueSets

_CODE_MARKER = type(typing.get_args(fhirtypes.CodeType)[1])
# The last entry of a short description that lists only some of the codes.
_ABBREVIATIONS = frozenset({"+", "etc."})
_SKIPPED_FIELDS = frozenset({"fhir_comments", "resource_type"})


@dataclass(frozen=True, slots=True)
class CodeElement:
    """A ``code`` element of a model and the codes the model lists for it."""

    model: str
    element: str
    listed: tuple[str, ...]
    in_resource: bool  # the model is a held resource (it inherits Resource's elements)

    @property
    def checked_by_model(self) -> bool:
        return bool(self.listed) and not _ABBREVIATIONS.intersection(self.listed)

    def source_key(self, table: dict[str, str]) -> str | None:
        """The key ``binding_sources`` classifies this element under, if any."""
        for key in (f"{self.model}.{self.element}", f"Resource.{self.element}"):
            if key in table and (self.in_resource or key.startswith(f"{self.model}.")):
                return key
        return None


def generate(spec: SpecDir, held: Iterable[str]) -> bytes:
    """The bindings to add or clear, sorted by model and element."""
    elements = sorted(code_elements(held), key=lambda c: (c.model, c.element))
    unclassified = [
        f"{c.model}.{c.element}"
        for c in elements
        if not c.checked_by_model
        and c.source_key(binding_sources.REQUIRED) is None
        and c.source_key(binding_sources.NOT_CHECKED) is None
    ]
    if unclassified:
        raise SpecError(
            "classify these code elements in server/spec/binding_sources.py from the FHIR R4"
            f" StructureDefinitions: {', '.join(unclassified)}"
        )
    value_sets = ValueSets(spec)
    bindings = [b for c in elements if (b := _binding(c, value_sets)) is not None]
    header = {"_generated": provenance(spec, f"{VALUE_SETS} and server/spec/binding_sources.py")}
    return render(header, "bindings", bindings)


def _binding(code: CodeElement, value_sets: ValueSets) -> dict[str, Any] | None:
    name = {"model": code.model, "element": code.element}
    required = code.source_key(binding_sources.REQUIRED)
    if required is not None:
        url = binding_sources.REQUIRED[required]
        return {**name, "valueSet": url, "codes": value_sets.codes(url)}
    not_checked = code.source_key(binding_sources.NOT_CHECKED)
    if not_checked is not None and code.listed:
        # A partial list the walk must not take for the whole binding.
        reason = binding_sources.NOT_CHECKED[not_checked]
        return {**name, "valueSet": None, "codes": None, "note": reason}
    return None


def code_elements(held: Iterable[str]) -> Iterator[CodeElement]:
    """Every ``code`` element of every model the held types reach, each model once."""
    roots = set(held)
    seen: set[str] = set()
    pending = sorted(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for alias, annotation, extra in _fields(name):
            leaves = list(_leaves(annotation))
            if any(isinstance(leaf, _CODE_MARKER) for leaf in leaves):
                listed = tuple(extra.get("enum_values") or ())
                yield CodeElement(name, alias, listed, name in roots)
            pending.extend(_complex_types(leaves))


def _fields(name: str) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    for field_name, field in model_class(name).model_fields.items():
        if field_name in _SKIPPED_FIELDS or field_name.endswith("__ext"):
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        yield field.alias or field_name, field.annotation, extra


def _leaves(annotation: Any) -> Iterator[Any]:
    """The types and markers inside Optional/List/Annotated."""
    args = typing.get_args(annotation)
    if not args:
        yield annotation
    for arg in args:
        yield from _leaves(arg)


def _complex_types(leaves: list[Any]) -> Iterator[str]:
    # Complex types are fhirtypes' forward references named "<Type>Type"; a contained
    # resource (ResourceType) is one of the held types, walked from its own root.
    for leaf in leaves:
        name = getattr(leaf, "__name__", "")
        is_reference = name.endswith("Type") and getattr(fhirtypes, name, None) is leaf
        if is_reference and name not in ("ResourceType", "FHIRPrimitiveExtensionType"):
            yield name[: -len("Type")]

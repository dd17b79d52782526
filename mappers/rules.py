"""Table-driven segment mapping: a field, the FHIR element it fills, and the datatype map.

A segment mapper is mostly a tuple of :class:`FieldRule`; the fields the rules name are,
by construction, the fields it handles, so anything else that carries data is reported
in ``MappingResult.unmapped``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from hl7.er7 import NULL, Segment
from mappers.components import Rep, is_empty
from mappers.context import MapContext
from mappers.elements import PrimitiveExtensions
from mappers.fields import Feed, FieldReport

# A datatype map: one field repetition -> a FHIR value (None when there is nothing to map).
Convert = Callable[[Rep, MapContext], Any]
ConvertT = TypeVar("ConvertT", bound=Convert)

# The components each registered datatype map uses; others that carry data are unmapped.
_COMPONENTS: dict[Convert, frozenset[int]] = {}


def maps_components(*numbers: int) -> Callable[[ConvertT], ConvertT]:
    """Declare the components of its datatype a map uses (the rest are reported unmapped)."""

    def register(function: ConvertT) -> ConvertT:
        _COMPONENTS[function] = frozenset(numbers)
        return function

    return register


@dataclass(frozen=True, slots=True)
class FieldRule:
    """Map field ``field`` of a segment into element ``element`` of a resource."""

    field: int
    element: str
    convert: Convert
    many: bool = False  # the FHIR element repeats: every v2 repetition is appended

    def apply(
        self,
        segment: Segment,
        resource: dict[str, Any],
        ctx: MapContext,
        report: FieldReport | None = None,
    ) -> None:
        """Convert the field and put the value(s) into ``resource`` (noted in ``report``)."""
        label = report.saw(segment, self.field) if report is not None else ""
        for rep in segment.reps(self.field):
            if is_empty(rep):
                continue
            value = self.convert(rep, ctx)
            if value is None:
                ctx.unmapped(f"{segment.name}-{self.field}")
                continue
            self._unused_components(segment.name, rep, ctx)
            if isinstance(value, PrimitiveExtensions):  # no value, but a code to keep
                resource.setdefault(f"_{self.element}", value.element)
                return
            if self.many:
                resource.setdefault(self.element, []).append(value)
                if report is not None:
                    report.produced(label, value)
            else:
                resource.setdefault(self.element, value)
                return

    def _unused_components(self, segment: str, rep: Rep, ctx: MapContext) -> None:
        used = _COMPONENTS.get(self.convert)
        if used is None:
            return
        for number, subs in enumerate(rep, 1):
            if number not in used and any(s and s != NULL for s in subs):
                ctx.unmapped(f"{segment}-{self.field}.{number}")


def apply_rules(
    segment: Segment,
    rules: Iterable[FieldRule],
    resource: dict[str, Any],
    ctx: MapContext,
    report: FieldReport | None = None,
) -> None:
    """Apply every rule of a segment's table to ``resource`` (noting fields in ``report``)."""
    for rule in rules:
        rule.apply(segment, resource, ctx, report)


def rule_feeds(segment: str, rules: Iterable[FieldRule]) -> list[Feed]:
    """The feeds a segment's table declares: per element, the fields that fill it."""
    fields: dict[str, list[str]] = {}
    many: dict[str, bool] = {}
    for rule in rules:
        fields.setdefault(rule.element, []).append(f"{segment}-{rule.field}")
        many[rule.element] = many.get(rule.element, False) or rule.many
    return [Feed((element,), tuple(labels), many[element]) for element, labels in fields.items()]


def convert_all(segment: Segment, field: int, convert: Convert, ctx: MapContext) -> list[Any]:
    """Return the converted value of every repetition of a field that maps to something."""
    values = (convert(rep, ctx) for rep in segment.reps(field) if not is_empty(rep))
    return [value for value in values if value is not None]


def handled_fields(rules: Iterable[FieldRule], *extra: int) -> frozenset[int]:
    """Return the field numbers a table (and the code beside it) maps."""
    return frozenset(rule.field for rule in rules) | frozenset(extra)

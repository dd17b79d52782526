"""Evaluate search parameter expressions: a fast path for simple paths, fhirpathpy for the rest.

Almost every expression of the held types is a dotted path (``Patient.name.family``),
optionally ending in ``.where(resolve() is Patient)``, ``.where(system='email')`` or
wrapped as ``(Patient.deceased as dateTime)``. Those are walked directly over the
JSON, far faster than through fhirpathpy; anything else is
compiled once with fhirpathpy's R4 model and evaluated per write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import fhirpathpy
from fhirpathpy.models import models

from server.search.definitions import split_union

Evaluator = Callable[[dict[str, Any]], list[Any]]

_STEP = r"[A-Za-z][A-Za-z0-9]*"
_DOTTED = re.compile(rf"(?P<type>[A-Z]{_STEP})((?:\.{_STEP})+)")
_AS = re.compile(rf"\((?P<path>{_DOTTED.pattern})\s+as\s+(?P<cast>[a-zA-Z]+)\)")
_WHERE_RESOLVE = re.compile(r"\.where\(resolve\(\) is (?P<target>[A-Z][A-Za-z]+)\)$")
_EXISTS_NOT_FALSE = re.compile(rf"(?P<path>{_DOTTED.pattern})\.exists\(\) and (?P=path) != false")
_WHERE_EQUALS = re.compile(r"\.where\((?P<key>[a-z][A-Za-z]*)\s*=\s*'(?P<value>[^'\\]*)'\)$")
# One step after such a filter: fhirport's extension parameters (``extension.where(url=
# '...').value``), the step a choice element (value -> valueBoolean).
_WHERE_THEN = re.compile(
    rf"(?P<path>{_DOTTED.pattern}\.where\([a-z][A-Za-z]*\s*=\s*'[^'\\]*'\))\.(?P<then>{_STEP})"
)


@dataclass(frozen=True, slots=True)
class FastPath:
    """A dotted path with an optional final filter, walked over plain JSON."""

    steps: tuple[str, ...]
    cast: str | None = None  # the choice type of the last step (``as dateTime``)
    target: str | None = None  # keep references to this resource type only
    where: tuple[str, str] | None = None  # keep elements whose key equals a literal

    def __call__(self, resource: dict[str, Any]) -> list[Any]:
        nodes: list[Any] = [resource]
        last = len(self.steps) - 1
        for depth, name in enumerate(self.steps):
            cast = depth == last and self.cast is not None
            found: list[Any] = []
            for node in nodes:
                if not isinstance(node, dict):
                    continue
                if not cast:
                    # The common case first: the element is there (or is not a choice).
                    child = node.get(name, _ABSENT)
                    if child is not _ABSENT:
                        if isinstance(child, list):
                            found.extend(child)
                        elif child is not None:
                            found.append(child)
                        continue
                for key in self._keys(node, name, depth == last):
                    child = node.get(key)
                    if isinstance(child, list):
                        found.extend(child)
                    elif child is not None:
                        found.append(child)
            if not found:
                return []
            nodes = found
        if self.where is not None:
            key, value = self.where
            nodes = [v for v in nodes if isinstance(v, dict) and v.get(key) == value]
        if self.target is not None:
            nodes = [v for v in nodes if _reference_type(v) == self.target]
        return nodes

    def _keys(self, node: dict[str, Any], name: str, last: bool) -> list[str]:
        if last and self.cast is not None:
            return [name + self.cast[0].upper() + self.cast[1:]]
        if name in node:
            return [name]
        # A choice element: deceased -> deceasedBoolean / deceasedDateTime.
        size = len(name)
        return [k for k in node if k.startswith(name) and k[size : size + 1].isupper()]


_ABSENT = object()


def _reference_type(value: Any) -> str | None:
    """The resource type a Reference points at, read from its literal ``reference``."""
    if not isinstance(value, dict):
        return None
    ref = value.get("reference")
    if isinstance(ref, str):
        parts = ref.split("/_history/")[0].rstrip("/").split("/")
        if len(parts) >= 2:
            return parts[-2]
    kind = value.get("type")
    return kind if isinstance(kind, str) else None


def fast_path(expression: str) -> FastPath | None:
    """Return a FastPath for a simple expression, or None if it needs fhirpathpy."""
    text = expression.strip()
    cast_match = _AS.fullmatch(text)
    if cast_match:
        dotted = _DOTTED.fullmatch(cast_match.group("path"))
        assert dotted is not None
        return FastPath(tuple(dotted.group(2)[1:].split(".")), cast=cast_match.group("cast"))
    target = where = None
    resolve_match = _WHERE_RESOLVE.search(text)
    equals_match = _WHERE_EQUALS.search(text)
    if resolve_match:
        target = resolve_match.group("target")
        text = text[: resolve_match.start()]
    elif equals_match:
        where = (equals_match.group("key"), equals_match.group("value"))
        text = text[: equals_match.start()]
    dotted = _DOTTED.fullmatch(text)
    if dotted is None:
        return None
    return FastPath(tuple(dotted.group(2)[1:].split(".")), target=target, where=where)


@dataclass(frozen=True, slots=True)
class ExistsNotFalse:
    """``P.exists() and P != false`` (Patient.deceased): one boolean, true unless absent/false."""

    path: FastPath

    def __call__(self, resource: dict[str, Any]) -> list[Any]:
        values = self.path(resource)
        return [bool(values) and values != [False]]


@dataclass(frozen=True, slots=True)
class ThenStep:
    """``P.where(k='v').step``: one step from each element the filtered path gives."""

    path: FastPath
    step: FastPath

    def __call__(self, resource: dict[str, Any]) -> list[Any]:
        found: list[Any] = []
        for node in self.path(resource):
            if isinstance(node, dict):
                found.extend(self.step(node))
        return found


def _union(evaluators: list[Evaluator]) -> Evaluator:
    def evaluate(resource: dict[str, Any]) -> list[Any]:
        found: list[Any] = []
        for evaluator in evaluators:
            found.extend(evaluator(resource))
        return found

    return evaluate


def _fhirpath(expression: str) -> Evaluator:
    # No shortcut when the root element is absent: ``x.exists()`` is [false], not [].
    compiled = fhirpathpy.compile(expression, models["r4"])

    def evaluate(resource: dict[str, Any]) -> list[Any]:
        return list(compiled(resource, {}))

    return evaluate


@cache
def compile_expression(expression: str) -> Evaluator:
    """Compile a (type-specific) search parameter expression once."""
    branches = [b.strip() for b in split_union(expression)]
    fast = [fast_path(b) for b in branches]
    if all(f is not None for f in fast):
        paths = [f for f in fast if f is not None]
        return paths[0] if len(paths) == 1 else _union(list(paths))
    evaluators = [f if f is not None else _slow(b) for f, b in zip(fast, branches, strict=True)]
    return evaluators[0] if len(evaluators) == 1 else _union(evaluators)


def _slow(expression: str) -> Evaluator:
    """Known boolean shapes evaluated directly; anything else through fhirpathpy."""
    then = _WHERE_THEN.fullmatch(expression)
    filtered = fast_path(then.group("path")) if then else None
    if then is not None and filtered is not None:
        return ThenStep(filtered, FastPath((then.group("then"),)))
    match = _EXISTS_NOT_FALSE.fullmatch(expression)
    path = fast_path(match.group("path")) if match else None
    return ExistsNotFalse(path) if path is not None else _fhirpath(expression)

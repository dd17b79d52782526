"""The search parameters of the held types, read from the specification's SearchParameter Bundle.

Nothing here is a hand-written list of parameters: names, types, FHIRPath expressions,
reference targets and composite components come from the held types' SearchParameters,
generated from FHIR R4 4.0.1 into ``server/spec/generated/search-parameters.json``
(``python -m server.spec.generate``), plus fhirport's own few in
``search-parameters-fhirport.json``. A definition shared by many resource types carries
one union expression; each type keeps only its own branches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import orjson

from server.registry import HELD_TYPES

# Parameters the spec defines but this server does not implement: they are left out of
# the CapabilityStatement, so a request using them is an unknown parameter (400).
UNSUPPORTED: frozenset[str] = frozenset(
    {"_text", "_content", "_filter", "_list", "_query", "_type", "_has", "near"}
)
# Parameters unsupported on one type only. Bundle's composition and message search the
# resource inside the first entry (a chain into an embedded resource, not a reference),
# which the index does not hold; releases are collections, where they never match.
# Encounter's length is the one quantity parameter of the held types, and the search
# engine has no quantity type (nor do HL7v2 visits fill Encounter.length). Group's
# characteristic-value is their one composite parameter, a type the engine lacks too.
UNSUPPORTED_ON: frozenset[tuple[str, str]] = frozenset(
    {("Bundle", "composition"), ("Bundle", "message")}
    | {("Encounter", "length")}
    | {("Group", "characteristic-value")}
)
# Types whose index is narrow: only these parameters are searchable, and only the
# KEYED_ON ones have sort keys and presence rows (``_sort``, ``:missing``); the rest of
# the type's parameters are unknown (400). Every access writes an AuditEvent, so each
# index row it carries is paid on every request: it holds what the audit trail is
# searched by (issue #13, IHE BALP: who accessed this patient's records, which client
# from which address, when, what and how, with what outcome) and sorts by time.
ONLY_ON: dict[str, frozenset[str]] = {
    "AuditEvent": frozenset(
        {"_id", "_lastUpdated", "patient", "agent", "entity", "date", "type", "subtype"}
        | {"action", "outcome", "source", "address"}
    )
}
KEYED_ON: dict[str, frozenset[str]] = {"AuditEvent": frozenset({"date", "_lastUpdated"})}
# Result parameters (search.html#Summary): they shape the answer, they do not filter.
RESULT_PARAMS: frozenset[str] = frozenset(
    {
        "_count",
        "_sort",
        "_total",
        "_summary",
        "_elements",
        "_include",
        "_revinclude",
        "_format",
        "_pretty",
        "_page",
    }
)
_COMMON_BASES = ("Resource", "DomainResource")


@dataclass(frozen=True, slots=True)
class SearchParam:
    """One search parameter of one resource type."""

    resource_type: str
    code: str
    type: str  # number date string token reference composite quantity uri special
    expression: str | None  # this type's branches of the union expression
    targets: tuple[str, ...]  # reference target types
    components: tuple[tuple[str, str], ...]  # composite: (definition url, expression)
    url: str
    description: str


def _branches(expression: str, resource_type: str) -> str | None:
    """Keep the branches of a union expression that start at ``resource_type``."""
    prefix = re.compile(rf"^\(?\s*{resource_type}\.")
    kept = [part.strip() for part in split_union(expression) if prefix.match(part.strip())]
    return " | ".join(kept) if kept else None


def split_union(expression: str) -> list[str]:
    """Split on top-level ``|`` (not inside parentheses or string literals)."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, char in enumerate(expression):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == "|":
            parts.append(expression[start:i])
            start = i + 1
    parts.append(expression[start:])
    return parts


# The specification's definitions first: on a code defined twice for a type, they win.
# The second file holds the parameters fhirport defines itself (server.roi uses them).
_DEFINITION_FILES = (
    ("server.spec.generated", "search-parameters.json"),
    ("server.search", "search-parameters-fhirport.json"),
)


@cache
def _bundle_entries() -> tuple[dict[str, Any], ...]:
    found: list[dict[str, Any]] = []
    for package, name in _DEFINITION_FILES:
        bundle = orjson.loads(resources.files(package).joinpath(name).read_bytes())
        found.extend(entry["resource"] for entry in bundle.get("entry", []))
    return tuple(found)


def _param_for(definition: dict[str, Any], resource_type: str) -> SearchParam:
    expression = definition.get("expression")
    if expression:
        for base in _COMMON_BASES:
            expression = expression.replace(f"{base}.", f"{resource_type}.")
        expression = _branches(expression, resource_type)
    return SearchParam(
        resource_type=resource_type,
        code=definition["code"],
        type=definition["type"],
        expression=expression,
        targets=tuple(definition.get("target", ())),
        components=tuple(
            (c.get("definition", ""), c.get("expression", ""))
            for c in definition.get("component", ())
        ),
        url=definition.get("url", ""),
        description=definition.get("description", ""),
    )


@cache
def all_params(resource_type: str) -> dict[str, SearchParam]:
    """Every parameter the specification defines for a type (including unsupported ones)."""
    params: dict[str, SearchParam] = {}
    for definition in _bundle_entries():
        bases = definition.get("base", ())
        if resource_type in bases or any(b in bases for b in _COMMON_BASES):
            param = _param_for(definition, resource_type)
            params.setdefault(param.code, param)
    return params


@cache
def search_params(resource_type: str) -> dict[str, SearchParam]:
    """The parameters this server supports on a held type, by code."""
    return {
        code: param
        for code, param in all_params(resource_type).items()
        if code not in UNSUPPORTED
        and (resource_type, code) not in UNSUPPORTED_ON
        and param.type != "special"
        and code in ONLY_ON.get(resource_type, (code,))
    }


def keyed(resource_type: str, code: str) -> bool:
    """Whether a parameter of a type has sort keys and presence rows (``_sort``, ``:missing``)."""
    return code in KEYED_ON.get(resource_type, (code,))


@cache
def indexed_params(resource_type: str) -> tuple[SearchParam, ...]:
    """The supported parameters whose values are extracted at write time."""
    return tuple(p for p in search_params(resource_type).values() if p.expression)


def reference_params_to(target: str) -> dict[str, list[str]]:
    """Per held type, its reference params that may point at ``target`` (for ``*`` includes)."""
    found: dict[str, list[str]] = {}
    for name in HELD_TYPES:
        for param in search_params(name).values():
            if param.type == "reference" and target in param.targets:
                found.setdefault(name, []).append(param.code)
    return found

"""The search builder: a type's search parameters as form fields, and the form back as a
FHIR query.

The fields come from the specification's definitions (server.search.definitions, which
the CapabilityStatement reads too): each parameter's code, type and description, the
modifiers its type takes, the prefixes of the ordered types (search.html#prefix). A
field ``v.<code>`` holds the value and ``m.<code>`` a modifier (``:exact``) or a prefix
(``ge``); ``include`` and ``revinclude`` name ``_include`` and ``_revinclude`` targets.
A query already written (``q``, as the Bundle's paging links carry) is taken as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Final
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import QueryParams

from server.search.capabilities import search_capabilities
from server.search.definitions import search_params
from server.search.values import MODIFIERS

PREFIXES: Final = (
    ("eq", "equal"),
    ("ne", "not equal"),
    ("gt", "greater than"),
    ("lt", "less than"),
    ("ge", "greater or equal"),
    ("le", "less or equal"),
    ("sa", "starts after"),
    ("eb", "ends before"),
    ("ap", "approximately"),
)
_ORDERED: Final = frozenset({"date", "number", "quantity"})
COUNTS: Final = ("10", "20", "50", "100")
DEFAULT_COUNT: Final = "20"


@dataclass(frozen=True, slots=True)
class Field:
    """One parameter of the builder: what it is called, how it matches, what it holds."""

    code: str
    type: str
    description: str
    choices: tuple[tuple[str, str], ...]  # (value sent in m.<code>, label): modifiers or prefixes
    value: str
    choice: str


@dataclass(frozen=True, slots=True)
class SearchForm:
    type_name: str
    fields: tuple[Field, ...]
    includes: tuple[str, ...]
    revincludes: tuple[str, ...]
    chosen_includes: frozenset[str]
    chosen_revincludes: frozenset[str]
    count: str


def described(text: str, type_name: str) -> str:
    """A parameter's description for one type: a shared parameter's description lists
    every type it is on ("Multiple Resources: * [Patient](patient.html): ..."); keep
    the type's own line."""
    found = re.search(rf"\* \[{type_name}\]\([^)]*\): (.*?)\s*(?=\n\* \[|$)", text, re.DOTALL)
    return found[1].strip() if found else text.strip()


def _choices(param_type: str, targets: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    if param_type in _ORDERED:
        return PREFIXES
    modifiers = sorted(MODIFIERS.get(param_type, ()))
    if param_type == "reference":
        modifiers += sorted(targets)
    return tuple((name, f":{name}") for name in modifiers)


@cache
def _parameters(type_name: str) -> tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...]:
    """Each parameter's code, type, description and choices (they never change)."""
    return tuple(
        (
            code,
            param.type,
            described(param.description, type_name),
            _choices(param.type, param.targets),
        )
        for code, param in sorted(search_params(type_name).items())
    )


@cache
def _includes(type_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    capabilities = search_capabilities(type_name)
    return (
        tuple(i for i in capabilities["searchInclude"] if i != "*"),
        tuple(r for r in capabilities["searchRevInclude"] if r != "*"),
    )


def search_form(
    type_name: str, sent: Mapping[str, str], includes: set[str], revs: set[str]
) -> SearchForm:
    """The builder of ``type_name``, filled in with what the browser ``sent``."""
    fields = tuple(
        Field(code, kind, text, choices, sent.get(f"v.{code}", ""), sent.get(f"m.{code}", ""))
        for code, kind, text, choices in _parameters(type_name)
    )
    offered, offered_rev = _includes(type_name)
    return SearchForm(
        type_name,
        fields,
        offered,
        offered_rev,
        frozenset(includes),
        frozenset(revs),
        sent.get("_count", DEFAULT_COUNT),
    )


def fhir_query(form: SearchForm) -> str:
    """The FHIR search query the filled-in builder asks for."""
    pairs: list[tuple[str, str]] = []
    for field in form.fields:
        if not field.value:
            continue
        if field.type in _ORDERED:
            pairs.append((field.code, f"{field.choice}{field.value}"))
        elif field.choice:
            pairs.append((f"{field.code}:{field.choice}", field.value))
        else:
            pairs.append((field.code, field.value))
    pairs += [("_include", name) for name in sorted(form.chosen_includes)]
    pairs += [("_revinclude", name) for name in sorted(form.chosen_revincludes)]
    pairs.append(("_count", form.count if form.count in COUNTS else DEFAULT_COUNT))
    return urlencode(pairs, safe=":")


def form_from_query(type_name: str, query: str) -> SearchForm:
    """The builder showing a written query: the fields it can show filled in, the rest blank."""
    sent: dict[str, str] = {}
    includes: set[str] = set()
    revs: set[str] = set()
    known = search_params(type_name)
    for name, value in parse_qsl(query, keep_blank_values=True):
        code, _, modifier = name.partition(":")
        if name == "_include":
            includes.add(value)
        elif name == "_revinclude":
            revs.add(value)
        elif name == "_count":
            sent["_count"] = value
        elif code in known and f"v.{code}" not in sent:
            prefix = value[:2] if known[code].type in _ORDERED and value[:2].isalpha() else ""
            sent[f"v.{code}"] = value[len(prefix) :]
            sent[f"m.{code}"] = prefix or modifier
    return search_form(type_name, sent, includes, revs)


def query_of(type_name: str, params: QueryParams) -> tuple[SearchForm, str]:
    """The builder and the FHIR query of a browse request: ``q`` as written, else the fields."""
    written = params.get("q")
    if written is not None:
        return form_from_query(type_name, written), written
    form = search_form(
        type_name, params, set(params.getlist("include")), set(params.getlist("revinclude"))
    )
    return form, fhir_query(form)

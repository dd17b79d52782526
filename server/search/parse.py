"""Parse a search request's parameters: filters into clauses, result parameters into options.

Repeated parameters are ANDed, comma-separated values ORed (search.html#combining).
Names are ``code[:modifier]``, chains ``ref[:Type].code...`` and reverse chains
``_has:Type:ref:code``. Unknown or unsupported parameters are collected; the caller
decides between a 400 and lenient handling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from server.errors import InvalidRequest
from server.fhir.subsetting import Summary, parse_elements, parse_summary
from server.registry import HELD_TYPES
from server.search.definitions import RESULT_PARAMS, SearchParam, keyed, search_params
from server.search.query import (
    ChainCond,
    Clause,
    Condition,
    DateAllCond,
    DateCond,
    HasCond,
    MissingCond,
    SortKey,
)
from server.search.values import MODIFIERS, VALUE_PARSERS, split_escaped

DEFAULT_COUNT = 20
# The reference hops one parameter may take, chain links and ``_has`` levels together.
# Each hop is a join, and a target with several types (``subject``) multiplies them.
MAX_JOIN_DEPTH = 6
MAX_COUNT = 1000
_TOTALS = ("none", "estimate", "accurate")


class _TooDeep(Exception):
    """A chain or ``_has`` nested past MAX_JOIN_DEPTH (reported for the whole name)."""


class UnknownParameter(Exception):
    """A parameter name this server does not support on the type (lenient: ignored)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Include:
    """``_include``/``_revinclude`` ``source:param[:target]``; param None for ``*``."""

    source: str
    param: str | None
    target: str | None
    iterate: bool


@dataclass(slots=True)
class ParsedSearch:
    """Everything a search request asks for."""

    resource_type: str
    clauses: list[Clause] = field(default_factory=list)
    sort: list[SortKey] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    total: str | None = None
    summary: Summary | None = None
    elements: frozenset[str] | None = None
    includes: list[Include] = field(default_factory=list)
    revincludes: list[Include] = field(default_factory=list)
    cursor: str | None = None
    applied: list[tuple[str, str]] = field(default_factory=list)  # for the self link
    ignored: list[UnknownParameter] = field(default_factory=list)


def parse_search(
    resource_type: str,
    params: Sequence[tuple[str, str]],
    base_urls: tuple[str, ...],
) -> ParsedSearch:
    """Parse request parameters; unknown ones end up in ``ignored``, bad values raise 400."""
    parsed = ParsedSearch(resource_type)
    for name, value in params:
        if name.startswith(("_include", "_revinclude")):
            _include_param(parsed, name, value)
            continue
        if name in RESULT_PARAMS:
            _result_param(parsed, name, value)
            continue
        try:
            parsed.clauses.append(parse_clause(resource_type, name, value, base_urls))
        except UnknownParameter as unknown:
            parsed.ignored.append(unknown)
            continue
        parsed.applied.append((name, value))
    parsed.clauses = merge_point_dates(parsed.clauses)
    return parsed


def merge_point_dates(clauses: list[Clause]) -> list[Clause]:
    """AND-ed single date conditions on a one-valued parameter: one row must meet them all.

    Equivalent for such parameters (a resource has one value), and a range like
    ``birthdate=ge1970-03-01&birthdate=lt1970-04-01`` becomes one bounded index scan.
    """
    groups: dict[str, list[DateCond]] = {}
    kept: list[Clause] = []
    for clause in clauses:
        only = clause.any_of[0] if len(clause.any_of) == 1 else None
        if isinstance(only, DateCond) and only.point and not clause.negate:
            groups.setdefault(only.param, []).append(only)
        else:
            kept.append(clause)
    for param, parts in groups.items():
        merged = parts[0] if len(parts) == 1 else DateAllCond(param, tuple(parts))
        kept.append(Clause((merged,)))
    return kept


def parse_clause(resource_type: str, name: str, value: str, base_urls: tuple[str, ...]) -> Clause:
    """Parse one ``name=value`` filter on ``resource_type`` (chains and _has recursively)."""
    try:
        return _clause(resource_type, name, value, base_urls, MAX_JOIN_DEPTH)
    except _TooDeep:
        raise InvalidRequest(
            f"Chains and _has follow at most {MAX_JOIN_DEPTH} references in one parameter; "
            "this one follows more",
            expression=name,
        ) from None


def _clause(
    resource_type: str, name: str, value: str, base_urls: tuple[str, ...], hops: int
) -> Clause:
    """``parse_clause`` with ``hops`` references left to follow."""
    if name.startswith("_has:"):
        return Clause((_has(resource_type, name, value, base_urls, hops),))
    head, dot, rest = name.partition(".")
    code, _, modifier = head.partition(":")
    param = search_params(resource_type).get(code)
    if param is None:
        raise UnknownParameter(name, f"{code!r} is not a search parameter of {resource_type}")
    if dot:
        chains = _chain(resource_type, param, modifier or None, rest, value, base_urls, hops)
        return Clause(chains)
    if modifier == "missing":
        if value not in ("true", "false"):
            raise InvalidRequest(f"{name} must be true or false", expression=name)
        if not keyed(resource_type, param.code):
            raise InvalidRequest(
                f"{name}: {resource_type} does not keep which resources lack {code}",
                expression=name,
            )
        return Clause((MissingCond(param.code, value == "true"),))
    _check_modifier(resource_type, param, modifier or None, name)
    if param.type == "string":
        alternatives = _split_strings(value)
    else:
        alternatives = split_escaped(value, ",", keep_escapes=param.type == "token")
    parser = VALUE_PARSERS[param.type]
    conditions = tuple(
        parser(param, modifier or None, part, name, base_urls) for part in alternatives
    )
    return Clause(conditions, negate=modifier == "not")


def _split_strings(value: str) -> list[str]:
    return [part for part in split_escaped(value, ",") if part.strip()] or [value]


def _check_modifier(
    resource_type: str, param: SearchParam, modifier: str | None, name: str
) -> None:
    if modifier is None or modifier in MODIFIERS.get(param.type, frozenset()):
        return
    if param.type == "reference" and modifier in param.targets:
        return
    raise UnknownParameter(
        name, f"modifier :{modifier} is not supported on {resource_type}.{param.code}"
    )


def _chain(
    resource_type: str,
    param: SearchParam,
    type_modifier: str | None,
    rest: str,
    value: str,
    base_urls: tuple[str, ...],
    hops: int,
) -> tuple[Condition, ...]:
    if param.type != "reference":
        raise UnknownParameter(param.code, f"{param.code} is not a reference; it cannot chain")
    if hops == 0:
        raise _TooDeep
    targets = [type_modifier] if type_modifier else list(param.targets)
    chains: list[Condition] = []
    reason = f"no target of {resource_type}.{param.code} has {rest!r}"
    for target in targets:
        if target not in HELD_TYPES or target not in param.targets:
            continue
        try:
            inner = _clause(target, rest, value, base_urls, hops - 1)
        except UnknownParameter as unknown:  # means nothing on this type: no match there
            reason = unknown.reason
            continue
        chains.append(ChainCond(param.code, target, (inner,)))
    if not chains:
        raise UnknownParameter(f"{param.code}.{rest}", reason)
    return tuple(chains)


def _has(
    resource_type: str, name: str, value: str, base_urls: tuple[str, ...], hops: int
) -> HasCond:
    parts = name.split(":", 3)
    if len(parts) != 4 or not all(parts):
        raise InvalidRequest(f"{name} is not _has:Type:reference:parameter", expression=name)
    if hops == 0:
        raise _TooDeep
    _, source, code, rest = parts
    if source not in HELD_TYPES:
        raise UnknownParameter(name, f"{source!r} is not a resource type this server holds")
    param = search_params(source).get(code)
    if param is None or param.type != "reference" or resource_type not in param.targets:
        raise UnknownParameter(name, f"{source}.{code} is not a reference to {resource_type}")
    return HasCond(source, code, (_clause(source, rest, value, base_urls, hops - 1),))


def _result_param(parsed: ParsedSearch, name: str, value: str) -> None:
    if name == "_count":
        if not value.isdigit():
            raise InvalidRequest(
                f"_count must be a non-negative integer, got {value!r}", expression="_count"
            )
        parsed.count = min(int(value), MAX_COUNT)
    elif name == "_total":
        if value not in _TOTALS:
            raise InvalidRequest(f"_total must be one of {', '.join(_TOTALS)}", expression="_total")
        parsed.total = value
    elif name == "_summary":
        parsed.summary = parse_summary(value)
    elif name == "_elements":
        parsed.elements = parse_elements(value)
    elif name == "_sort":
        parsed.sort = _sort_keys(parsed.resource_type, value)
    elif name == "_page":
        parsed.cursor = value
        return
    parsed.applied.append((name, value))


def _sort_keys(resource_type: str, value: str) -> list[SortKey]:
    keys: list[SortKey] = []
    for part in (p.strip() for p in value.split(",")):
        code = part.removeprefix("-")
        param = search_params(resource_type).get(code)
        if param is None or not code:
            raise InvalidRequest(
                f"_sort: {code!r} is not a search parameter of {resource_type}",
                expression="_sort",
            )
        if not keyed(resource_type, code):
            raise InvalidRequest(
                f"_sort: {resource_type} does not sort by {code}", expression="_sort"
            )
        keys.append(SortKey(code, descending=part.startswith("-")))
    return keys


def _include_param(parsed: ParsedSearch, name: str, value: str) -> None:
    kind, _, modifier = name.partition(":")
    if kind not in ("_include", "_revinclude") or modifier not in ("", "iterate"):
        raise InvalidRequest(f"{name} is not _include or _revinclude[:iterate]", expression=name)
    iterate = modifier == "iterate"
    if value == "*":
        include = Include(parsed.resource_type if kind == "_include" else "*", None, None, iterate)
    else:
        include = _include_value(parsed.resource_type, kind, name, value, iterate)
    (parsed.includes if kind == "_include" else parsed.revincludes).append(include)
    parsed.applied.append((name, value))


def _include_value(resource_type: str, kind: str, name: str, value: str, iterate: bool) -> Include:
    parts = value.split(":")
    if len(parts) not in (2, 3):
        raise InvalidRequest(f"{name}={value!r} is not Type:parameter[:target]", expression=name)
    source, code = parts[0], parts[1]
    target = parts[2] if len(parts) == 3 else None
    param = search_params(source).get(code) if source in HELD_TYPES else None
    if param is None or param.type != "reference":
        raise InvalidRequest(
            f"{name}: {source}:{code} is not a reference parameter", expression=name
        )
    if target is not None and target not in param.targets:
        raise InvalidRequest(f"{name}: {source}.{code} cannot point at {target}", expression=name)
    if kind == "_include" and source != resource_type and not iterate:
        raise InvalidRequest(
            f"{name}: {source} is not the searched type {resource_type}", expression=name
        )
    if kind == "_revinclude" and not iterate and target not in (None, resource_type):
        raise InvalidRequest(f"{name}: {value} does not point at {resource_type}", expression=name)
    return Include(source, code, target, iterate)

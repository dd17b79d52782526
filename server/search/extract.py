"""Compute a resource version's search index entries: every supported parameter, once per write.

Values are normalized here so that queries are plain equality and range lookups:
strings folded (search.html#string), tokens as (system, code, folded display text),
dates as [low, high) microsecond ranges (search.html#date), references as
(type, id) inside this server or the URL outside it, uris verbatim. Two derived
token families serve modifiers: ``<param>:of-type`` (Identifier.type + value, for
``:of-type``) and ``<param>:identifier`` (Reference.identifier, for ``:identifier``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import orjson

from server.search.dates import date_range
from server.search.definitions import KEYED_ON, indexed_params, split_union
from server.search.extract_memo import GroupMemo
from server.search.index_entries import (
    DATE_MAX,
    DATE_MIN,
    DateEntry,
    IndexEntries,
    ReferenceEntry,
    StringEntry,
    TokenEntry,
    UriEntry,
)
from server.search.paths import Evaluator, compile_expression, fast_path
from server.search.references import split_reference
from server.search.text_fold import fold

# The string parts of HumanName and Address that a string parameter on them matches.
_STRING_PARTS = frozenset(
    {"text", "family", "given", "prefix", "suffix", "line", "city", "district", "state"}
    | {"postalCode", "country"}
)
# ContactPoint.system codes: a token on a ContactPoint matches its value, not its system.
_CONTACT_SYSTEMS = frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"})

OF_TYPE = ":of-type"
IDENTIFIER = ":identifier"

Adder = Callable[[IndexEntries, str, list[Any], tuple[str, ...]], bool]

# The same dates come again and again (birth dates, appointment slots): parse each once.
_cached_range = lru_cache(maxsize=16_384)(date_range)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STAMPED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", re.ASCII)


def _date_range(value: str) -> tuple[int, int]:
    """``date_range``, the instants every write stamps (``meta.lastUpdated``, new each
    time, in the one shape ``fhir_instant`` writes) read without the general parser."""
    if _STAMPED.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass  # the general parser says what is wrong
        else:
            low = (moment - _EPOCH) // _MICROSECOND
            return low, low + 1
    return _cached_range(value)


_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class _Param:
    """One indexed parameter of a type, compiled."""

    code: str
    kind: str
    evaluate: Evaluator
    # The top-level elements the expression starts from, when it is only dotted paths
    # (which find nothing without one of them); None when it must always be evaluated.
    roots: frozenset[str] | None


def extract_index(
    resource: dict[str, Any],
    *,
    base_urls: tuple[str, ...],
    only: frozenset[str] | None = None,
) -> IndexEntries:
    """Return the index entries of a (validated, stamped) resource.

    ``only``: just these parameters' entries (a check of one resource against a few
    clauses, server.search.matching), not every parameter's.
    """
    resource_type = str(resource.get("resourceType"))
    if only is not None:
        entries = _extract_plain(resource, _plan_of(resource_type, only), base_urls)
    else:
        entries = _extract_grouped(resource, resource_type, base_urls)
    keyed = KEYED_ON.get(resource_type)
    if keyed is not None:  # a narrow index: sort keys and presence of these only
        entries.present &= keyed
        entries.sort_keys = {k: v for k, v in entries.sort_keys.items() if k in keyed}
    return entries


def _evaluate(
    entries: IndexEntries,
    params: Iterable[_Param],
    resource: dict[str, Any],
    names: frozenset[str],
    base_urls: tuple[str, ...],
) -> None:
    for param in params:
        # Many parameters of a type start at elements this resource lacks: skip those
        # without walking them (same entries: such a path yields nothing).
        if param.roots is not None and param.roots.isdisjoint(names):
            continue
        values = param.evaluate(resource)
        if values and _ADDERS[param.kind](entries, param.code, values, base_urls):
            entries.present.add(param.code)


def _extract_grouped(
    resource: dict[str, Any], resource_type: str, base_urls: tuple[str, ...]
) -> IndexEntries:
    """Every parameter's entries, those of each element group looked up by its content.

    A parameter made of dotted paths depends only on the top-level elements its paths
    start at. The parameters starting at the same elements form a group, and a group's
    entries (with its sort keys) are remembered by those elements' JSON: a patient's
    name, a status code, a payer reference come again and again, in later versions of a
    resource and across resources.
    """
    entries = IndexEntries()
    groups, rest = _groups(resource_type)
    # Each element's JSON once, under each group it feeds.
    parts: dict[int, list[tuple[str, bytes]]] = {}
    try:
        for key, value in resource.items():
            member_of = _member_of(resource_type, key)
            if member_of:
                text = orjson.dumps(value)
                for index in member_of:
                    parts.setdefault(index, []).append((key, text))
    except TypeError:  # not JSON (a stored body always is): evaluated, not remembered
        return _extract_plain(resource, _plan(resource_type), base_urls)
    for index, elements in parts.items():
        group = groups[index]
        memo_key = (resource_type, index, base_urls, tuple(elements))
        found = _GROUPS.get(memo_key)
        if found is None:
            part = {key: resource[key] for key, _ in elements}
            found = _GROUPS.put(memo_key, _group_entries(group, part, base_urls))
        _merge(entries, found)
    rest_entries = IndexEntries()
    _evaluate(rest_entries, rest, resource, _element_names(tuple(resource)), base_urls)
    _add_sort_keys(rest_entries)
    _merge(entries, rest_entries)
    return entries


def _extract_plain(
    resource: dict[str, Any], params: Iterable[_Param], base_urls: tuple[str, ...]
) -> IndexEntries:
    entries = IndexEntries()
    _evaluate(entries, params, resource, _element_names(tuple(resource)), base_urls)
    _add_sort_keys(entries)
    return entries


@lru_cache(maxsize=4_096)
def _member_of(resource_type: str, key: str) -> tuple[int, ...]:
    """The remembered groups of a type (by index) that an element with this key feeds."""
    names = _element_names((key,))
    groups, _ = _groups(resource_type)
    return tuple(i for i, group in enumerate(groups) if not group.roots.isdisjoint(names))


def _group_entries(group: _Group, part: dict[str, Any], base_urls: tuple[str, ...]) -> IndexEntries:
    found = IndexEntries()
    _evaluate(found, group.params, part, _element_names(tuple(part)), base_urls)
    _add_sort_keys(found)
    return found


def _merge(entries: IndexEntries, part: IndexEntries) -> None:
    """Add a group's entries (shared: their lists are copied, never handed on)."""
    entries.strings += part.strings
    entries.tokens += part.tokens
    entries.dates += part.dates
    entries.references += part.references
    entries.uris += part.uris
    entries.present |= part.present
    entries.sort_keys.update(part.sort_keys)  # each parameter is in one group only


@lru_cache(maxsize=4_096)
def _element_names(keys: tuple[str, ...]) -> frozenset[str]:
    """The element names a path step can match in an object with these keys.

    A key matches its own name and, as a choice element, every prefix that ends before
    one of its capitals (``deceasedDateTime`` is ``deceased``): a superset of what a
    path step finds. Resources of one shape share their key tuple, hence the cache.
    """
    names = set(keys)
    for key in keys:
        names.update(key[:i] for i in range(1, len(key)) if key[i].isupper())
    return frozenset(names)


def _add_sort_keys(entries: IndexEntries) -> None:
    """Keep each parameter's smallest value: ``_sort`` orders by it (missing sorts last)."""
    keys = entries.sort_keys
    candidates: list[tuple[str, str | int]] = [(e.param, e.folded) for e in entries.strings]
    candidates += [(e.param, e.code) for e in entries.tokens if e.code is not None]
    candidates += [(e.param, e.low) for e in entries.dates]
    candidates += [(e.param, e.value) for e in entries.uris]
    candidates += [
        (e.param, f"{e.target_type}/{e.target_id}" if e.target_id else e.url or "")
        for e in entries.references
    ]
    for param, value in candidates:
        if ":" in param:  # the derived :of-type / :identifier families are not sortable
            continue
        current = keys.get(param)
        if current is None or value < current:  # type: ignore[operator]
            keys[param] = value


@cache
def _plan(resource_type: str) -> tuple[_Param, ...]:
    return tuple(
        _Param(p.code, p.type, compile_expression(p.expression), _roots(p.expression))
        for p in indexed_params(resource_type)
        if p.expression and p.type in _ADDERS
    )


@dataclass(frozen=True, slots=True)
class _Group:
    """The parameters of a type that start at the same top-level elements."""

    roots: frozenset[str]
    params: tuple[_Param, ...]


# Elements whose entries are new at nearly every write (the id, meta's time and source):
# evaluated each time, not remembered.
_UNREMEMBERED = frozenset({"id", "meta"})


@cache
def _groups(resource_type: str) -> tuple[tuple[_Group, ...], tuple[_Param, ...]]:
    """The type's remembered groups, and the parameters evaluated at every write."""
    grouped: dict[frozenset[str], list[_Param]] = {}
    rest: list[_Param] = []
    for param in _plan(resource_type):
        if param.roots is None or not param.roots.isdisjoint(_UNREMEMBERED):
            rest.append(param)
        else:
            grouped.setdefault(param.roots, []).append(param)
    groups = tuple(_Group(roots, tuple(params)) for roots, params in grouped.items())
    return groups, tuple(rest)


_GROUPS = GroupMemo()


@lru_cache(maxsize=1024)
def _plan_of(resource_type: str, codes: frozenset[str]) -> tuple[_Param, ...]:
    return tuple(p for p in _plan(resource_type) if p.code in codes)


def _roots(expression: str) -> frozenset[str] | None:
    """The first steps of an expression made only of dotted paths (see ``compile_expression``)."""
    paths = [fast_path(branch.strip()) for branch in split_union(expression)]
    if any(path is None for path in paths):
        return None  # fhirpathpy or a boolean shape: may yield a value from nothing
    return frozenset(path.steps[0] for path in paths if path is not None)


def _text_values(values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in _STRING_PARTS:
                    yield from (x for x in (item if isinstance(item, list) else [item]) if x)


def _add_strings(entries: IndexEntries, code: str, values: list[Any], _: tuple[str, ...]) -> bool:
    seen: set[str] = set()
    for text in _text_values(values):
        if isinstance(text, str) and text not in seen:
            seen.add(text)
            entries.strings.append(StringEntry(code, fold(text), text))
    return bool(seen)


def _folded(text: Any) -> str | None:
    return fold(text) if isinstance(text, str) and text.strip() else None


def _token_triples(value: Any) -> Iterator[tuple[str | None, str | None, str | None]]:
    """(system, code, folded text) of a code, boolean, Coding, CodeableConcept, Identifier..."""
    if isinstance(value, bool):
        yield None, "true" if value else "false", None
    elif isinstance(value, str):
        yield None, value, None
    elif isinstance(value, dict):
        if "coding" in value or ("text" in value and "value" not in value):
            text = _folded(value.get("text"))
            codings = [c for c in value.get("coding", ()) if isinstance(c, dict)]
            for coding in codings:
                yield (
                    coding.get("system"),
                    coding.get("code"),
                    text or _folded(coding.get("display")),
                )
            if not codings and text:
                yield None, None, text
        elif "value" in value:
            system = value.get("system")
            if system in _CONTACT_SYSTEMS and "type" not in value:
                system = None
            kind = value.get("type")
            text = _folded(kind.get("text")) if isinstance(kind, dict) else None
            yield system, str(value["value"]), text
        elif "code" in value or "system" in value:
            yield value.get("system"), value.get("code"), _folded(value.get("display"))


def _add_tokens(entries: IndexEntries, code: str, values: list[Any], _: tuple[str, ...]) -> bool:
    seen: set[tuple[str | None, str | None, str | None]] = set()
    for value in values:
        for triple in _token_triples(value):
            if triple not in seen:
                seen.add(triple)
                entries.tokens.append(TokenEntry(code, *triple))
        _add_identifier_types(entries, code, value)
    return bool(seen)


def _add_identifier_types(entries: IndexEntries, code: str, value: Any) -> None:
    """Index Identifier.type codings with the value, for ``identifier:of-type=sys|code|value``."""
    if not isinstance(value, dict) or "value" not in value:
        return
    kind = value.get("type")
    if not isinstance(kind, dict):
        return
    for coding in kind.get("coding", ()):
        if isinstance(coding, dict) and coding.get("code"):
            entries.tokens.append(
                TokenEntry(
                    code + OF_TYPE, coding.get("system"), f"{coding['code']}|{value['value']}", None
                )
            )


def _add_dates(entries: IndexEntries, code: str, values: list[Any], _: tuple[str, ...]) -> bool:
    added = False
    for value in values:
        try:
            if isinstance(value, dict):  # Period: open ends are unbounded
                start, end = value.get("start"), value.get("end")
                if start is None and end is None:
                    continue
                low = _date_range(start)[0] if start else DATE_MIN
                high = _date_range(end)[1] if end else DATE_MAX
            else:
                low, high = _date_range(str(value))
        except ValueError:
            continue  # validation admits only FHIR dates; anything else is not searchable
        entries.dates.append(DateEntry(code, low, high))
        added = True
    return added


def _add_references(
    entries: IndexEntries, code: str, values: list[Any], base_urls: tuple[str, ...]
) -> bool:
    added = False
    for value in values:
        literal = value if isinstance(value, str) else None
        if isinstance(value, dict):
            literal = value.get("reference")
            identifier = value.get("identifier")
            if isinstance(identifier, dict) and identifier.get("value"):
                entries.tokens.append(
                    TokenEntry(
                        code + IDENTIFIER, identifier.get("system"), identifier["value"], None
                    )
                )
                added = True
        if isinstance(literal, str):
            target_type, target_id, url = split_reference(literal, base_urls)
            if target_id is not None or url is not None:
                entries.references.append(ReferenceEntry(code, target_type, target_id, url))
                added = True
    return added


def _add_uris(entries: IndexEntries, code: str, values: list[Any], _: tuple[str, ...]) -> bool:
    uris = [v for v in dict.fromkeys(values) if isinstance(v, str)]
    entries.uris.extend(UriEntry(code, v) for v in uris)
    return bool(uris)


_ADDERS: dict[str, Adder] = {
    "string": _add_strings,
    "token": _add_tokens,
    "date": _add_dates,
    "reference": _add_references,
    "uri": _add_uris,
}

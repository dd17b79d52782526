"""Whether one resource version meets search clauses, decided from its own index entries.

The stores answer searches over current resources; this answers the same question for
a single version in hand (a read, an old version in a history, an included resource)
without a query. It agrees with the stores on every condition except chains and
``_has``, which need other resources: those never match here, so a check that uses
them fails closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import orjson

from server.search import query as sq
from server.search.extract import extract_index
from server.search.index_entries import DateEntry, IndexEntries
from server.storage.ordering import PREFIX_END
from server.storage.port import StoredVersion


def matches(
    version: StoredVersion, clauses: Iterable[sq.Clause], base_urls: tuple[str, ...]
) -> bool:
    """Whether ``version`` (a delete marker never does) meets every clause."""
    clauses = tuple(clauses)
    if not clauses:
        return True
    if version.body is None:
        return False
    return resource_matches(orjson.loads(version.body), clauses, base_urls)


def resource_matches(
    resource: dict[str, Any], clauses: tuple[sq.Clause, ...], base_urls: tuple[str, ...]
) -> bool:
    """Whether a resource's content meets every clause."""
    entries = extract_index(resource, base_urls=base_urls, only=clause_params(clauses))
    return entries_match(entries, clauses)


@lru_cache(maxsize=1024)
def clause_params(clauses: tuple[sq.Clause, ...]) -> frozenset[str]:
    """The parameters the clauses test (those of ``AllOfCond`` arms too)."""
    found: set[str] = set()
    for clause in clauses:
        for cond in clause.any_of:
            if isinstance(cond, sq.AllOfCond):
                found |= clause_params(cond.inner)
            elif not isinstance(cond, sq.HasCond):
                found.add(cond.param)
    return frozenset(found)


def entries_match(entries: IndexEntries, clauses: Iterable[sq.Clause]) -> bool:
    """Whether index entries meet every clause (each an OR, maybe negated)."""
    for clause in clauses:
        found = any(_condition(entries, cond) for cond in clause.any_of)
        if found is clause.negate:
            return False
    return True


def _condition(entries: IndexEntries, cond: sq.Condition) -> bool:
    if isinstance(cond, sq.AllOfCond):
        return entries_match(entries, cond.inner)
    if isinstance(cond, sq.ChainCond | sq.HasCond):
        return False
    if isinstance(cond, sq.MissingCond):
        return (cond.param not in entries.present) is cond.missing
    checker: Callable[[IndexEntries, Any], bool] = _CHECKERS[type(cond)]
    return checker(entries, cond)


def _string(entries: IndexEntries, cond: sq.StringCond) -> bool:
    for entry in entries.strings:
        if entry.param != cond.param:
            continue
        if cond.match is sq.StringMatch.PREFIX and entry.folded.startswith(cond.value):
            return True
        if cond.match is sq.StringMatch.CONTAINS and cond.value in entry.folded:
            return True
        if cond.match is sq.StringMatch.EXACT and entry.exact == cond.value:
            return True
    return False


def _token(entries: IndexEntries, cond: sq.TokenCond) -> bool:
    system = None if cond.system == "" else cond.system
    return any(
        entry.param == cond.param
        and (cond.code is None or entry.code == cond.code)
        and (cond.system is None or entry.system == system)
        and (cond.text is None or (entry.text or "").startswith(cond.text))
        for entry in entries.tokens
    )


def _date(entries: IndexEntries, cond: sq.DateCond | sq.DateAllCond) -> bool:
    parts = cond.parts if isinstance(cond, sq.DateAllCond) else (cond,)
    return any(
        entry.param == cond.param and all(_date_part(entry, part) for part in parts)
        for entry in entries.dates
    )


def _date_part(entry: DateEntry, cond: sq.DateCond) -> bool:
    """One date prefix (search.html#prefix) on one value, as server.storage.sqlite.dates."""
    low, high = entry.low, entry.high
    within = low >= cond.low and high <= cond.high
    return {
        sq.DateOp.EQ: within,
        sq.DateOp.NE: not within,
        sq.DateOp.GT: high > cond.high,
        sq.DateOp.LT: low < cond.low,
        sq.DateOp.GE: high > cond.high or within,
        sq.DateOp.LE: low < cond.low or within,
        sq.DateOp.SA: low >= cond.high,
        sq.DateOp.EB: high <= cond.low,
        sq.DateOp.AP: low < cond.high and high > cond.low,
    }[cond.op]


def _reference(entries: IndexEntries, cond: sq.ReferenceCond) -> bool:
    for entry in entries.references:
        if entry.param != cond.param:
            continue
        if cond.url is not None:
            if entry.url == cond.url:
                return True
        elif entry.target_id == cond.target_id and cond.target_type in (None, entry.target_type):
            return True
    return False


def _uri(entries: IndexEntries, cond: sq.UriCond) -> bool:
    for entry in entries.uris:
        if entry.param != cond.param:
            continue
        if cond.match is sq.UriMatch.EQ and entry.value == cond.value:
            return True
        if cond.match is sq.UriMatch.ABOVE and entry.value in cond.candidates:
            return True
        if cond.match is sq.UriMatch.BELOW and cond.value <= entry.value < cond.value + PREFIX_END:
            return True
    return False


_CHECKERS: dict[type, Callable[[IndexEntries, Any], bool]] = {
    sq.StringCond: _string,
    sq.TokenCond: _token,
    sq.DateCond: _date,
    sq.DateAllCond: _date,
    sq.ReferenceCond: _reference,
    sq.UriCond: _uri,
}

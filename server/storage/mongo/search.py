"""Compile a SearchQuery to MongoDB filters on the ``idx`` sub-document, and run it.

Each condition is an ``$elemMatch`` on one index array (``idx.s``, ``idx.t``, ...) led
by the parameter code, which the compound indexes in ``mongo.index`` serve. Only
plain query operators that both MongoDB and mongomock support are used. User input
only ever appears as a comparison value, never as a key; the one ``$regex``
(``:contains``) is built with ``re.escape``. Chains and ``_has`` run their inner
search first and continue with the ids it found; an inner search matching more than
``JOIN_LIMIT`` is refused (QueryTooCostly), never cut short. Date ranges are bounded
by the widest span stored under their parameter (``mongo.widths``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from server.search.query import (
    AllOfCond,
    ChainCond,
    Clause,
    Condition,
    DateAllCond,
    DateCond,
    DateOp,
    HasCond,
    MissingCond,
    ReferenceCond,
    SearchQuery,
    StringCond,
    StringMatch,
    TokenCond,
    UriCond,
    UriMatch,
)
from server.search.text_fold import fold
from server.storage.audit_rows import AUDIT_TYPE
from server.storage.cursor import decode_search_cursor, encode_cursor, neighbours
from server.storage.mongo.widths import stored_widths, width_key
from server.storage.ordering import PREFIX_END, Past, keyset_steps
from server.storage.port import Method, QueryTooCostly, SearchPage, StoredVersion

JOIN_LIMIT = 10_000
_NONE: dict[str, Any] = {"_id": {"$in": []}}


def _elem(array: str, match: dict[str, Any]) -> dict[str, Any]:
    return {f"idx.{array}": {"$elemMatch": match}}


def _string(cond: StringCond) -> dict[str, Any]:
    if cond.match is StringMatch.PREFIX:
        value: Any = {"$gte": cond.value, "$lt": cond.value + PREFIX_END}
        return _elem("s", {"p": cond.param, "f": value})
    if cond.match is StringMatch.CONTAINS:
        return _elem("s", {"p": cond.param, "f": {"$regex": re.escape(cond.value)}})
    return _elem("s", {"p": cond.param, "f": fold(cond.value), "e": cond.value})


def _token(cond: TokenCond) -> dict[str, Any]:
    match: dict[str, Any] = {"p": cond.param}
    if cond.code is not None:
        match["c"] = cond.code
    if cond.system is not None:
        match["s"] = cond.system or None
    if cond.text is not None:
        match["x"] = {"$gte": cond.text, "$lt": cond.text + PREFIX_END}
    return _elem("t", match)


def _date(cond: DateCond | DateAllCond, widest: int | None) -> dict[str, Any]:
    parts = cond.parts if isinstance(cond, DateAllCond) else (cond,)
    predicates = [_date_predicate(p) for p in parts]
    first, end = cond.low_bounds(widest)
    bounds: dict[str, int] = {}
    if first is not None:
        bounds["$gte"] = first
    if end is not None:
        bounds["$lt"] = end
    if bounds:
        predicates.append({"l": bounds})
    return _elem("d", {"p": cond.param, "$and": predicates})


def _date_predicate(cond: DateCond) -> dict[str, Any]:
    low, high = cond.low, cond.high
    within = {"l": {"$gte": low}, "h": {"$lte": high}}
    table: dict[DateOp, dict[str, Any]] = {
        DateOp.EQ: within,
        DateOp.NE: {"$or": [{"l": {"$lt": low}}, {"h": {"$gt": high}}]},
        DateOp.GT: {"h": {"$gt": high}},
        DateOp.LT: {"l": {"$lt": low}},
        DateOp.GE: {"$or": [{"h": {"$gt": high}}, within]},
        DateOp.LE: {"$or": [{"l": {"$lt": low}}, within]},
        DateOp.SA: {"l": {"$gte": high}},
        DateOp.EB: {"h": {"$lte": low}},
        DateOp.AP: {"l": {"$lt": high}, "h": {"$gt": low}},
    }
    return table[cond.op]


def _reference(cond: ReferenceCond) -> dict[str, Any]:
    if cond.url is not None:
        return _elem("r", {"p": cond.param, "u": cond.url})
    match: dict[str, Any] = {"p": cond.param, "i": cond.target_id}
    if cond.target_type is not None:
        match["t"] = cond.target_type
    return _elem("r", match)


def _uri(cond: UriCond) -> dict[str, Any]:
    value: Any = cond.value
    if cond.match is UriMatch.BELOW:
        value = {"$gte": cond.value, "$lt": cond.value + PREFIX_END}
    elif cond.match is UriMatch.ABOVE:
        value = {"$in": list(cond.candidates)}
    return _elem("u", {"p": cond.param, "v": value})


def _missing(cond: MissingCond) -> dict[str, Any]:
    return {"idx.m": {"$ne": cond.param}} if cond.missing else {"idx.m": cond.param}


_SIMPLE: dict[type, Any] = {
    StringCond: _string,
    TokenCond: _token,
    ReferenceCond: _reference,
    UriCond: _uri,
    MissingCond: _missing,
}


def _too_costly(what: str) -> QueryTooCostly:
    return QueryTooCostly(
        f"The search is too costly: {what} matches more than {JOIN_LIMIT} resources, the "
        "most a chained or _has search may match; narrow it with more criteria",
        JOIN_LIMIT,
    )


class MongoSearch:
    """Builds filters for the collection of current resources (and of AuditEvents,
    ``events``, which joins search as they search the resources)."""

    def __init__(self, resources: Any, date_widths: Any = None, events: Any = None) -> None:
        self.resources = resources
        self.events = events
        # Read once per search, on its first date condition; None: nothing known.
        self.date_widths = date_widths
        self._widths: dict[str, int] | None = None
        # The ids each join's inner search found, shared by the joins with the same inner
        # match (a chain through a reference to several types repeats its tail under each).
        self._joined: dict[Hashable, list[str]] = {}

    async def filter(self, resource_type: str, clauses: tuple[Clause, ...]) -> dict[str, Any]:
        """The filter of current resources of a type matching every clause."""
        parts: list[dict[str, Any]] = [{"type": resource_type, "deleted": False}]
        for clause in clauses:
            options = [await self.condition(resource_type, c) for c in clause.any_of]
            if clause.negate:
                parts.append({"$nor": options})
            else:
                parts.append(options[0] if len(options) == 1 else {"$or": options})
        return {"$and": parts}

    async def condition(self, resource_type: str, cond: Condition) -> dict[str, Any]:
        if isinstance(cond, ChainCond):
            chained = ("chain", cond.target_type, cond.inner)
            targets = await self._joined_ids(chained, lambda: self._targets(cond))
            match = {"p": cond.param, "t": cond.target_type, "i": {"$in": targets}}
            return _elem("r", match) if targets else _NONE
        if isinstance(cond, HasCond):
            referring = ("has", resource_type, cond)
            ids = await self._joined_ids(referring, lambda: self._referenced(resource_type, cond))
            keys = [f"{resource_type}/{i}" for i in ids]
            return {"_id": {"$in": keys}} if keys else _NONE
        if isinstance(cond, DateCond | DateAllCond):
            return _date(cond, await self._widest(resource_type, cond.param))
        if isinstance(cond, AllOfCond):
            return await self.filter(resource_type, cond.inner)
        built: dict[str, Any] = _SIMPLE[type(cond)](cond)
        return built

    async def _joined_ids(
        self, key: Hashable, search: Callable[[], Awaitable[list[str]]]
    ) -> list[str]:
        if key not in self._joined:
            self._joined[key] = await search()
        return self._joined[key]

    async def _widest(self, resource_type: str, param: str) -> int | None:
        if self.date_widths is None or resource_type == AUDIT_TYPE:  # none kept for events
            return None
        if self._widths is None:
            self._widths = await stored_widths(self.date_widths)
        return self._widths.get(width_key(resource_type, param))

    async def _targets(self, cond: ChainCond) -> list[str]:
        """The ids of the chain's targets that match its inner clauses."""
        inner = await self.filter(cond.target_type, cond.inner)
        found = [d["id"] async for d in self._find(cond.target_type, inner, {"id": 1})]
        if len(found) > JOIN_LIMIT:
            raise _too_costly(f"the chain {cond.param}:{cond.target_type}")
        return found

    async def _referenced(self, resource_type: str, cond: HasCond) -> list[str]:
        """The ids of ``resource_type`` that sources matching the inner clauses refer to."""
        inner = await self.filter(cond.source_type, cond.inner)
        ids: set[str] = set()
        sources = 0
        async for doc in self._find(cond.source_type, inner, {"idx.r": 1}):
            sources += 1
            if sources > JOIN_LIMIT:
                raise _too_costly(f"_has:{cond.source_type}:{cond.param}")
            ids.update(
                r["i"]
                for r in doc.get("idx", {}).get("r", ())
                if r["p"] == cond.param and r["t"] == resource_type and r["i"]
            )
        return sorted(ids)

    def collection(self, resource_type: str) -> Any:
        """Where the current resources of a type are."""
        if resource_type == AUDIT_TYPE and self.events is not None:
            return self.events
        return self.resources

    def _find(self, resource_type: str, query: dict[str, Any], projection: dict[str, int]) -> Any:
        return self.collection(resource_type).find(query, projection).limit(JOIN_LIMIT + 1)


async def run_search(
    resources: Any, date_widths: Any, query: SearchQuery, events: Any = None
) -> SearchPage:
    """Execute a search on the collection of current resources (or of AuditEvents)."""
    search = MongoSearch(resources, date_widths, events)
    resources = search.collection(query.resource_type)
    position = (
        decode_search_cursor(query.cursor, len(query.sort), ("i", str)) if query.cursor else None
    )
    backwards = position is not None and position["d"] == "p"
    matched = await search.filter(query.resource_type, query.clauses)
    fields = [f"idx.o.{k.param}" for k in query.sort] + ["_id"]
    directions = [k.descending != backwards for k in query.sort] + [backwards]
    selector = matched
    if position is not None:
        after = _keyset(fields, directions, [*position["k"], position["i"]])
        selector = {"$and": [matched, after]}
    projection = {"type": 1, "id": 1, "version": 1, "updated": 1, "method": 1, "body": 1}
    projection.update({f: 1 for f in fields})
    order = [(f, -1 if d else 1) for f, d in zip(fields, directions, strict=True)]
    docs = (
        await resources.find(selector, projection)
        .sort(order)
        .limit(query.count + 1)
        .to_list(length=None)
    )
    more = len(docs) > query.count
    docs = docs[: query.count]
    if backwards:
        docs.reverse()
    total = int(await resources.count_documents(matched)) if query.with_total else None
    has_next, has_previous = neighbours(more, position)

    def cursor(doc: dict[str, Any], direction: str) -> str:
        keys = [doc.get("idx", {}).get("o", {}).get(k.param) for k in query.sort]
        return encode_cursor({"k": keys, "i": doc["_id"], "d": direction})

    versions = [
        StoredVersion(
            d["type"], d["id"], d["version"], d["updated"], Method(d["method"]), bytes(d["body"])
        )
        for d in docs
    ]
    return SearchPage(
        versions,
        cursor(docs[-1], "n") if docs and has_next else None,
        cursor(docs[0], "p") if docs and has_previous else None,
        total,
    )


def _keyset(fields: list[str], descending: list[bool], values: list[Any]) -> dict[str, Any]:
    """The documents strictly after ``values`` in the order of ``fields`` (null first)."""
    alternatives: list[dict[str, Any]] = []
    for step in keyset_steps(fields, descending, values):
        match: dict[str, Any] = dict(step.equal)
        field = step.column
        if step.past is Past.NOT_NULL:
            match[field] = {"$ne": None}
        elif step.past is Past.BELOW_OR_NULL:
            match = {"$and": [match, {"$or": [{field: {"$lt": step.value}}, {field: None}]}]}
        else:
            match[field] = {"$gt": step.value}
        alternatives.append(match)
    return {"$or": alternatives} if alternatives else _NONE

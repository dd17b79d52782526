"""MongoDB filters built from hostile values: user text is only ever a value, never a key."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from server.search.parse import parse_search
from server.storage.mongo.search import MongoSearch

pytestmark = pytest.mark.anyio

OPERATORS = {
    "$and",
    "$or",
    "$nor",
    "$elemMatch",
    "$gte",
    "$lt",
    "$lte",
    "$gt",
    "$in",
    "$ne",
    "$regex",
}
FIELDS = {
    "type",
    "deleted",
    "id",
    "_id",
    "p",
    "f",
    "e",
    "s",
    "c",
    "x",
    "v",
    "l",
    "h",
    "i",
    "t",
    "u",
}
FIELDS |= {f"idx.{array}" for array in "stdrum"}
HOSTILE = ['{"$where": "1"}', "$ne", "a.b", "^.*$", "(a+)+$", "$gt"]


def keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from keys(item)


def regexes(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$regex":
                yield value
            else:
                yield from regexes(value)
    elif isinstance(node, list):
        for item in node:
            yield from regexes(item)


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "name", ["family", "family:exact", "family:contains", "identifier", "_id", "_profile:below"]
)
async def test_user_values_never_become_operators(name: str, value: str) -> None:
    parsed = parse_search("Patient", [(name, value)], ())

    built = await MongoSearch(None).filter("Patient", tuple(parsed.clauses))

    assert set(keys(built)) <= OPERATORS | FIELDS
    for pattern in regexes(built):
        assert re.fullmatch(pattern, value.casefold()) or pattern == re.escape(value.casefold())

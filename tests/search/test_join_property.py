"""Property: chains and ``_has``, random in types, parameters and depth, never answer 500.

Types and parameters are drawn from the search definitions. Within MAX_JOIN_DEPTH a
search finds what a walk of the stored references finds; past it, a 400 names the limit.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from server.app import create_app
from server.errors import InvalidRequest
from server.registry import HELD_TYPES
from server.search.definitions import SearchParam, search_params
from server.search.engine import SearchEngine
from server.search.index_entries import (
    DateEntry,
    IndexEntries,
    ReferenceEntry,
    StringEntry,
    TokenEntry,
    UriEntry,
)
from server.search.parse import MAX_JOIN_DEPTH
from server.settings import Settings
from server.storage.factory import store_from_url
from server.storage.port import Method, Store, StoredVersion, Write
from tests.conftest import STORE_KINDS, store_url_for
from tests.search.test_property import walk_pages

TYPES = sorted(HELD_TYPES)
Draw = Callable[[st.SearchStrategy[Any]], Any]


def references(resource_type: str) -> list[tuple[str, tuple[str, ...]]]:
    """The reference parameters of a type that may point at a held type, with those types."""
    found = []
    for code, param in sorted(search_params(resource_type).items()):
        targets = tuple(t for t in param.targets if t in HELD_TYPES)
        if param.type == "reference" and targets:
            found.append((code, targets))
    return found


def referrers(resource_type: str) -> list[tuple[str, str]]:
    """(source type, parameter) pairs that may refer to ``resource_type``: its ``_has``."""
    return [
        (source, code)
        for source in TYPES
        for code, targets in references(source)
        if resource_type in targets
    ]


@dataclass(frozen=True, slots=True)
class Node:
    """A stored resource: its type, id and references (parameter, type, id)."""

    type: str
    id: str
    refs: tuple[tuple[str, str, str], ...]


def stored(node: Node, entries: IndexEntries) -> Write:
    body = orjson.dumps({"resourceType": node.type, "id": node.id})
    return Write(StoredVersion(node.type, node.id, 1, 0, Method.PUT, body), 0, entries)


def entries_of(node: Node) -> IndexEntries:
    """The index entries of ``node``: its id and its references."""
    entries = IndexEntries(tokens=[TokenEntry("_id", None, node.id, None)])
    entries.references = [ReferenceEntry(p, t, i, None) for p, t, i in node.refs]
    entries.present = {"_id", *(p for p, _, _ in node.refs)}
    entries.sort_keys = {"_id": node.id, **{p: f"{t}/{i}" for p, t, i in node.refs}}
    return entries


@st.composite
def graphs(draw: Draw) -> dict[tuple[str, str], Node]:
    """A few resources of a few types, each referring to some of the others it may."""
    kinds = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=4, unique=True))
    typed = draw(st.lists(st.sampled_from(kinds), min_size=2, max_size=10))
    ids = [(kind, f"{kind.lower()[:3]}{i}") for i, kind in enumerate(typed)]
    nodes: dict[tuple[str, str], Node] = {}
    for kind, id_ in ids:
        refs: list[tuple[str, str, str]] = []
        for code, targets in references(kind):
            reachable = [key for key in ids if key[0] in targets]
            if reachable:
                for target in draw(st.lists(st.sampled_from(reachable), max_size=2, unique=True)):
                    refs.append((code, *target))
        nodes[kind, id_] = Node(kind, id_, tuple(refs))
    return nodes


Step = tuple[str, str, Node | None]  # the name's part, the type reached, its resource


def stored_steps(nodes: dict[tuple[str, str], Node], node: Node) -> list[Step]:
    """The hops along stored references from ``node``: chain links and ``_has``."""
    steps: list[Step] = []
    for code, target, id_ in node.refs:
        reached = nodes.get((target, id_))
        steps += [(f"{code}.", target, reached), (f"{code}:{target}.", target, reached)]
    for other in nodes.values():
        for code, target, id_ in other.refs:
            if (target, id_) == (node.type, node.id):
                steps.append((f"_has:{other.type}:{code}:", other.type, other))
    return steps


def defined_steps(resource_type: str) -> list[Step]:
    """Every hop the definitions allow from a type, to no resource in particular."""
    steps: list[Step] = [(f"_has:{s}:{code}:", s, None) for s, code in referrers(resource_type)]
    for code, targets in references(resource_type):
        for target in targets:
            steps += [(f"{code}.", target, None), (f"{code}:{target}.", target, None)]
    return steps


@st.composite
def walks(draw: Draw, nodes: dict[tuple[str, str], Node]) -> tuple[str, str, str, int]:
    """(searched type, parameter name, value, hops): mostly along stored references.

    From a start resource each hop follows a reference forward (a chain link, with or
    without its target type) or backward (a ``_has``): mostly one that is stored, else
    any the definitions allow. The leaf is ``_id``, mostly of the resource reached.
    """
    start = draw(st.sampled_from(sorted(nodes)))
    kind, node = start[0], nodes.get(start)
    # Deepest first: hypothesis favours the first choices, and depth is the point here.
    hops = draw(st.sampled_from(range(MAX_JOIN_DEPTH + 1, 0, -1)))
    name = ""
    for _ in range(hops):
        along = stored_steps(nodes, node) if node is not None else []
        if along and draw(st.integers(0, 7)) > 0:
            part, kind, node = draw(st.sampled_from(along))
        else:
            part, kind, node = draw(st.sampled_from(defined_steps(kind)))
        name += part
    ids = sorted(i for _, i in nodes)
    reached = node is not None and draw(st.integers(0, 3)) > 0
    value = node.id if node is not None and reached else draw(st.sampled_from(ids))
    return start[0], name + "_id", value, hops


def brute_force(nodes: dict[tuple[str, str], Node], node: Node, name: str, value: str) -> bool:
    """Whether ``node`` matches ``name=value``, by following the references themselves."""
    if name.startswith("_has:"):
        _, source, code, rest = name.split(":", 3)
        return any(
            other.type == source
            and (code, node.type, node.id) in other.refs
            and brute_force(nodes, other, rest, value)
            for other in nodes.values()
        )
    head, dot, rest = name.partition(".")
    if not dot:
        return node.id == value
    code, _, only = head.partition(":")
    return any(
        p == code
        and only in ("", t)
        and (t, i) in nodes
        and brute_force(nodes, nodes[t, i], rest, value)
        for p, t, i in node.refs
    )


async def searched(
    kind: str, nodes: dict[tuple[str, str], Node], resource_type: str, name: str, value: str
) -> set[str] | InvalidRequest:
    with tempfile.TemporaryDirectory() as directory:
        store = store_from_url(store_url_for(kind, Path(directory)))
        await store.open()
        try:
            await store.write([stored(n, entries_of(n)) for n in nodes.values()])
            engine = SearchEngine(store, ())
            try:
                return await walk_pages(engine, [(name, value)], resource_type)
            except InvalidRequest as refused:
                return refused
        finally:
            await store.close()


@pytest.mark.parametrize("kind", [k for k in STORE_KINDS if k != "mongodb"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_joins_match_a_walk_of_the_references(kind: str, data: st.DataObject) -> None:
    nodes = data.draw(graphs(), label="resources")
    resource_type, name, value, hops = data.draw(walks(nodes), label="search")

    answer = asyncio.run(searched(kind, nodes, resource_type, name, value))
    event(f"hops: {hops}")

    if hops > MAX_JOIN_DEPTH:
        assert isinstance(answer, InvalidRequest), answer
        assert f"at most {MAX_JOIN_DEPTH}" in str(answer)
        assert answer.issues[0].expression == (name,)
    else:
        assert not isinstance(answer, InvalidRequest), answer
        expected = {
            n.id
            for n in nodes.values()
            if n.type == resource_type and brute_force(nodes, n, name, value)
        }
        event(f"matches: {'some' if expected else 'none'}")
        assert answer == expected, f"{resource_type}?{name}={value}"


# ---- Any parameter at the end, through the API, on a store holding every parameter ----

VALUES: dict[str, list[str]] = {
    "string": ["a", "Level 1", "ñ,z", ""],
    "token": ["c", "s|c", "|c", "s|", "c,d"],
    "date": ["2024", "ge2024-01-01", "lt2024-03-01T10:00:00Z", "ap2024", "sa2023,eb2025"],
    "reference": ["Patient/p0", "p0", "http://elsewhere.example/Patient/1"],
    "uri": ["http://example.org/a", "urn:x"],
}
MODIFIERS = ["", ":missing", ":not", ":exact", ":contains", ":text", ":below", ":above"]


def leaf_entries(resource_type: str, targets: dict[str, str]) -> IndexEntries:
    """One value under every parameter of a type, its references to ``targets``' ids."""
    entries = IndexEntries()
    for param in search_params(resource_type).values():
        _add_value(entries, param, targets)
    groups: list[list[Any]] = [
        entries.strings,
        entries.tokens,
        entries.dates,
        entries.references,
        entries.uris,
    ]
    entries.present = {entry.param for group in groups for entry in group}
    entries.sort_keys = dict.fromkeys(entries.present, "a")
    return entries


def _add_value(entries: IndexEntries, param: SearchParam, targets: dict[str, str]) -> None:
    code = param.code
    if param.type == "string":
        entries.strings.append(StringEntry(code, "level 1", "Level 1"))
    elif param.type == "token":
        entries.tokens.append(TokenEntry(code, "s", "c", "c"))
    elif param.type == "date":
        entries.dates.append(DateEntry(code, 1_704_067_200_000_000, 1_704_153_600_000_000))
    elif param.type == "uri":
        entries.uris.append(UriEntry(code, "http://example.org/a"))
    elif param.type == "reference":
        for target in param.targets:
            if target in targets:
                entries.references.append(ReferenceEntry(code, target, targets[target], None))


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app over a store with two resources of every held type, every parameter set."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        store: Store = app.state.store
        writes = []
        for suffix in ("0", "1"):
            ids = {kind: f"{kind.lower()[0]}{suffix}" for kind in TYPES}
            for kind in TYPES:
                node = Node(kind, ids[kind], ())
                writes.append(stored(node, leaf_entries(kind, ids)))
        await store.write(writes)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@st.composite
def any_joins(draw: Draw) -> tuple[str, str, str, int]:
    """(type, parameter name, value, hops): any links the definitions allow, any leaf."""
    kind = start = draw(st.sampled_from(TYPES))
    hops = draw(st.sampled_from(range(MAX_JOIN_DEPTH + 2)))
    name = ""
    taken = 0
    while taken < hops:
        backward, forward = referrers(kind), references(kind)
        if backward and (not forward or draw(st.booleans())):
            source, code = draw(st.sampled_from(backward))
            name, kind = name + f"_has:{source}:{code}:", source
        elif forward:
            code, targets = draw(st.sampled_from(forward))
            target = draw(st.sampled_from(targets))
            name += f"{code}:{target}." if draw(st.booleans()) else f"{code}."
            kind = target
        else:
            break
        taken += 1
    param = draw(st.sampled_from(sorted(search_params(kind).values(), key=lambda p: p.code)))
    modifier = draw(st.sampled_from(MODIFIERS))
    value = "true" if modifier == ":missing" else draw(st.sampled_from(VALUES[param.type]))
    return start, f"{name}{param.code}{modifier}", value, taken


EXTRAS = st.sampled_from([(), (("_total", "accurate"),), (("_sort", "_id"),), (("_count", "1"),)])


@pytest.mark.anyio
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(search=any_joins(), extras=EXTRAS, lenient=st.booleans())
async def test_no_join_answers_500(
    served: httpx.AsyncClient,
    search: tuple[str, str, str, int],
    extras: tuple[tuple[str, str], ...],
    lenient: bool,
) -> None:
    resource_type, name, value, hops = search
    headers = {"Prefer": "handling=lenient"} if lenient else {}

    response = await served.get(
        f"/fhir/{resource_type}", params=[(name, value), *extras], headers=headers
    )

    event(f"hops: {hops}, status: {response.status_code}")
    assert response.status_code in (200, 400), response.text
    if hops > MAX_JOIN_DEPTH:
        assert response.status_code == 400, response.text
        issue = response.json()["issue"][0]
        assert f"at most {MAX_JOIN_DEPTH}" in issue["diagnostics"]
        assert issue["expression"] == [name]

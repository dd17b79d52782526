"""Result parameters: _count, _sort, _total, _summary, _elements, and cursor paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.search.conftest import create, matched_ids, put, search

pytestmark = pytest.mark.anyio


def link(bundle: dict[str, Any], relation: str) -> str | None:
    for item in bundle.get("link", []):
        if item["relation"] == relation:
            url: str = item["url"]
            parts = urlsplit(url)
            return f"{parts.path.removeprefix('/fhir/')}?{parts.query}"
    return None


async def many(client: httpx.AsyncClient, n: int, family: str = "Page") -> list[str]:
    ids = []
    for i in range(n):
        body = {
            "resourceType": "Patient",
            "id": f"p{i:03d}",
            "name": [{"family": f"{family}{i % 4}"}],
            "birthDate": f"19{50 + i % 7}-01-01",
        }
        ids.append((await put(client, body))["id"])
    return ids


def flat(pages: list[list[str]]) -> list[str]:
    return [i for page in pages for i in page]


async def walk(client: httpx.AsyncClient, first: str, relation: str = "next") -> list[list[str]]:
    pages = []
    path: str | None = first
    while path:
        bundle = await search(client, path)
        pages.append(matched_ids(bundle))
        path = link(bundle, relation)
    return pages


async def test_count_limits_a_page_and_next_links_walk_everything_once(
    client: httpx.AsyncClient,
) -> None:
    ids = await many(client, 11)

    pages = await walk(client, "Patient?family=page&_count=4")

    assert [len(p) for p in pages] == [4, 4, 3]
    assert sorted(flat(pages)) == sorted(ids)


async def test_previous_links_walk_back(client: httpx.AsyncClient) -> None:
    await many(client, 9)
    forward = await walk(client, "Patient?_count=4")
    last = await search(client, "Patient?_count=4")
    while link(last, "next"):
        last = await search(client, link(last, "next") or "")

    backward = await walk(client, link(last, "previous") or "", "previous")

    assert backward == forward[:-1][::-1]


async def test_pages_neither_repeat_nor_skip_while_data_changes(client: httpx.AsyncClient) -> None:
    ids = await many(client, 10)
    first = await search(client, "Patient?_count=3&_sort=family")
    seen = matched_ids(first)
    path = link(first, "next")
    await client.delete(f"/fhir/Patient/{seen[0]}")  # already served: must not shift the pages
    await many(client, 0)
    await create(client, {"resourceType": "Patient", "name": [{"family": "Zzz"}]})  # sorts last

    while path:
        bundle = await search(client, path)
        seen += matched_ids(bundle)
        path = link(bundle, "next")

    assert len(seen) == len(set(seen))
    assert set(ids) <= set(seen)


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        pytest.param("family", lambda p: (p["name"][0]["family"].lower(), p["id"]), id="asc"),
        pytest.param("-birthdate", lambda p: (-int(p["birthDate"][:4]), p["id"]), id="desc"),
    ],
)
async def test_sort_orders_every_page(client: httpx.AsyncClient, sort: str, key: Any) -> None:
    await many(client, 10)
    expected = sorted(
        [(await client.get(f"/fhir/Patient/p{i:03d}")).json() for i in range(10)], key=key
    )

    pages = await walk(client, f"Patient?_sort={sort}&_count=3")

    assert flat(pages) == [p["id"] for p in expected]


async def test_sort_by_several_keys_with_missing_values_lowest(client: httpx.AsyncClient) -> None:
    await many(client, 8)
    await put(client, {"resourceType": "Patient", "id": "nobirth", "name": [{"family": "Page0"}]})

    ids = flat(await walk(client, "Patient?_sort=family,-birthdate&_count=2"))

    # Page0 first, then by birthDate descending; a missing value sorts lowest (last here).
    assert ids[:3] == ["p004", "p000", "nobirth"]


async def test_total_accurate_counts_beyond_the_page(client: httpx.AsyncClient) -> None:
    await many(client, 6)

    accurate = await search(client, "Patient?family=page1,page2&_count=1&_total=accurate")
    none = await search(client, "Patient?family=page1&_total=none")

    assert accurate["total"] == 3
    assert "total" not in none


@pytest.mark.parametrize("query", ["_summary=count", "_count=0"])
async def test_count_only_returns_only_the_total(client: httpx.AsyncClient, query: str) -> None:
    await many(client, 5)

    bundle = await search(client, f"Patient?{query}")

    assert bundle["total"] == 5
    assert "entry" not in bundle


async def test_elements_and_summary_subset_the_entries(client: httpx.AsyncClient) -> None:
    await many(client, 1)

    elements = await search(client, "Patient?_elements=birthDate")
    summary = await search(client, "Patient?_summary=true")

    resource = elements["entry"][0]["resource"]
    assert "birthDate" in resource
    assert "name" not in resource
    assert resource["meta"]["tag"][-1]["code"] == "SUBSETTED"
    assert "name" in summary["entry"][0]["resource"]


async def test_count_above_the_maximum_is_capped(client: httpx.AsyncClient) -> None:
    await many(client, 3)

    bundle = await search(client, "Patient?_count=5000")

    assert len(matched_ids(bundle)) == 3
    assert "_count=1000" in bundle["link"][0]["url"] or "_count=5000" in bundle["link"][0]["url"]


async def test_a_foreign_cursor_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Patient", params={"_page": "bm90LWEtY3Vyc29y"})

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_page"]

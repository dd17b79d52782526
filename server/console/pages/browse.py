"""Browse: pick a type, build a search from its parameters, page through what it finds.

The search the page runs is the FHIR search it shows (``GET /fhir/Type?...``): the
results are the API's searchset, paged by the Bundle's own links.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from starlette.responses import Response

from server.console.page import NavItem, Page, PageRoute
from server.console.search_form import COUNTS, query_of
from server.registry import HELD_TYPES

_PAGE_LINKS = ("first", "previous", "next")


async def types(page: Page) -> Response:
    return page.render("browse_types.html", title="Browse", types=sorted(HELD_TYPES))


def page_href(type_name: str, link: str) -> str:
    """The console page of one of the Bundle's paging links (its query, run again)."""
    return f"/console/browse/{type_name}?q={quote(urlsplit(link).query, safe='')}"


async def browse(page: Page) -> Response:
    type_name = page.request.path_params["type"]
    if type_name not in HELD_TYPES:
        return page.not_found(f"fhirport holds no resources of type {type_name!r}")
    form, query = query_of(type_name, page.request.query_params)
    bundle: dict[str, Any] = (await page.api.search(type_name, query)).json()
    entries = bundle.get("entry", ())
    matches = [e["resource"] for e in entries if e.get("search", {}).get("mode") != "include"]
    included = [e["resource"] for e in entries if e.get("search", {}).get("mode") == "include"]
    links = {link.get("relation"): link.get("url", "") for link in bundle.get("link", ())}
    pages = {
        relation: page_href(type_name, links[relation]) if links.get(relation) else None
        for relation in _PAGE_LINKS
    }
    return page.render(
        "browse.html",
        title=f"Browse {type_name}",
        form=form,
        query=query,
        query_written="q" in page.request.query_params,
        counts=COUNTS,
        total=bundle.get("total"),
        matches=matches,
        included=included,
        pages=pages,
    )


ROUTES = (
    PageRoute("/console/browse", types),
    PageRoute("/console/browse/{type}", browse),
)
NAV = (NavItem("Browse", "/console/browse", order=10),)

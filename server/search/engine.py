"""The search engine: parse → compile (in the store) → execute, then includes and the Bundle.

Also the ``Matcher`` of the conditional interactions (If-None-Exist, conditional update
and delete), which use the same parsing but never lenient handling: a conditional
write on a misspelled parameter must fail, not match everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson

from server.errors import InvalidRequest, Issue
from server.fhir.bundles import bundle, embedded
from server.fhir.subsetting import Summary, subset
from server.search.definitions import search_params
from server.search.includes import Admit, IncludeResolver
from server.search.parse import ParsedSearch, parse_search
from server.search.query import Clause, SearchQuery
from server.storage.port import InvalidCursor, SearchPage, Store, StoredVersion


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of matches, what includes added, and the parse that produced them."""

    parsed: ParsedSearch
    page: SearchPage
    included: list[StoredVersion]


class SearchEngine:
    """Searches one store; ``base_urls`` are the bases under which references are local."""

    def __init__(self, store: Store, base_urls: tuple[str, ...]) -> None:
        self.store = store
        self.base_urls = base_urls
        self.includes = IncludeResolver(store, base_urls)

    def parse(
        self, resource_type: str, params: Sequence[tuple[str, str]], *, lenient: bool
    ) -> ParsedSearch:
        """Parse parameters; unknown ones are a 400 unless ``lenient``."""
        parsed = parse_search(resource_type, params, self.base_urls)
        if parsed.ignored and not lenient:
            names = [u.name for u in parsed.ignored]
            valid = ", ".join(sorted(search_params(resource_type)))
            reasons = "; ".join(u.reason for u in parsed.ignored)
            raise InvalidRequest(
                f"Unknown or unsupported search parameter(s) {', '.join(names)} ({reasons}). "
                f"{resource_type} supports: {valid}",
                expression=names,
                code="not-supported",
            )
        return parsed

    async def run(
        self,
        parsed: ParsedSearch,
        restrict: Sequence[Clause] = (),
        admit: Admit | None = None,
    ) -> SearchResult:
        """Execute a parsed search, ANDed with ``restrict`` (a compartment, access rules).

        ``admit`` decides which resources includes may add (access control); the
        restrictions are part of the query, so totals and paging count only what they
        let through.
        """
        # _summary=count and _count=0 ask for the total alone (search.html#count).
        count_only = parsed.summary is Summary.COUNT or parsed.count == 0
        clauses = (*parsed.clauses, *restrict)
        query = SearchQuery(
            parsed.resource_type,
            clauses,
            tuple(parsed.sort),
            0 if count_only else parsed.count,
            parsed.cursor,
            with_total=count_only or parsed.total in ("estimate", "accurate"),
        )
        try:
            page = await self.store.search(query)
        except InvalidCursor as exc:
            raise InvalidRequest(str(exc), expression="_page") from None
        included = await self.includes.resolve(
            page.versions, parsed.includes, parsed.revincludes, admit
        )
        return SearchResult(parsed, page, included)

    async def match_ids(
        self, resource_type: str, params: Sequence[tuple[str, str]], limit: int
    ) -> list[str]:
        """The ids of up to ``limit`` current resources matching (conditional interactions)."""
        parsed = self.parse(resource_type, params, lenient=False)
        if not parsed.clauses:
            raise InvalidRequest("A conditional interaction needs search criteria")
        page = await self.store.search(
            SearchQuery(resource_type, tuple(parsed.clauses), count=limit)
        )
        return [v.id for v in page.versions]


def search_bundle(result: SearchResult, base: str, path: str) -> dict[str, Any]:
    """The searchset Bundle of a result; ``path`` is the search URL below ``base``."""
    parsed, page = result.parsed, result.page
    total = page.total
    # When the whole result is on the first page, the total costs nothing.
    whole = parsed.cursor is None and page.next_cursor is None
    if total is None and parsed.total != "none" and whole:
        total = len(page.versions)
    query = urlencode(parsed.applied)
    self_url = f"{base}/{path}" + (f"?{query}" if query else "")
    joiner = "&" if query else "?"
    links = {"self": self_url + (f"{joiner}_page={parsed.cursor}" if parsed.cursor else "")}
    if page.next_cursor:
        links["next"] = f"{self_url}{joiner}_page={page.next_cursor}"
    if page.previous_cursor:
        links["previous"] = f"{self_url}{joiner}_page={page.previous_cursor}"
    entries = [_entry(base, v, "match", parsed) for v in page.versions]
    entries += [_entry(base, v, "include", parsed) for v in result.included]
    if parsed.ignored:
        entries.append(_outcome_entry(parsed))
    return bundle("searchset", entries, links, total)


def _entry(base: str, version: StoredVersion, mode: str, parsed: ParsedSearch) -> dict[str, Any]:
    assert version.body is not None
    resource: Any = embedded(version.body)
    if parsed.summary not in (None, Summary.FALSE) or parsed.elements is not None:
        resource = subset(orjson.loads(version.body), parsed.summary, parsed.elements)
    return {
        "fullUrl": f"{base}/{version.resource_type}/{version.id}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _outcome_entry(parsed: ParsedSearch) -> dict[str, Any]:
    issues = [
        Issue(f"Ignored {u.name}: {u.reason}", "not-supported", "warning", (u.name,)).to_json()
        for u in parsed.ignored
    ]
    return {
        "resource": {"resourceType": "OperationOutcome", "issue": issues},
        "search": {"mode": "outcome"},
    }

"""Transactions and batches (http.html#transaction): the one entry point, ``apply_bundle``.

A transaction is planned (server.transactions.plan) against the store as it is, and its
writes go to the store in one ``store.write``: on SQLite one database transaction, on
MongoDB one multi-document transaction. A store that cannot run those (``memory://``)
refuses a transaction Bundle with a 400 naming the reason, before anything is read.
A plan that loses a race (a version changed, a conditional create's guard taken
meanwhile) is planned again from fresh reads, as a single request would be. A failed
transaction raises one FhirError whose issues name the failing entry
(``Bundle.entry[3].resource.subject``); nothing is stored. A batch applies each entry
on its own, as a one-entry transaction, and answers each entry's error in its place.

Auditing: one AuditEvent per Bundle request (IHE BALP records a RESTful interaction, and
a transaction or batch is one: restful-interaction ``transaction``/``batch``), naming
every resource the entries wrote or read; a transaction's event commits with its writes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl

from server.audit.draft import audit_returned, audit_touched
from server.auth.access import Access
from server.auth.visibility import read_visible
from server.errors import Conflict, FhirError, InvalidRequest
from server.hold_rules import MAX_SETTLES
from server.integrity import Dangling, ReferenceIntegrity
from server.interactions import ResourceService, criteria_key
from server.search.engine import SearchEngine, search_bundle
from server.storage.port import GuardTaken, HoldTaken, VersionConflict, Write
from server.transactions.errors import about, located
from server.transactions.holds import settle
from server.transactions.parse import BundleKind, RequestEntry, Verb, parse_bundle
from server.transactions.plan import Plan, Planner
from server.transactions.references import unresolved
from server.transactions.response import EntryResponse, ReturnPreference, response_bundle

DEFAULT_MAX_ENTRIES: Final = 10_000
_MAX_ATTEMPTS: Final = 8


@dataclass(slots=True)
class BundleResult:
    """The response Bundle, and what an importer reports: the dangling references kept
    under lenient integrity and the entries that failed (a batch's), by entry index."""

    bundle: dict[str, Any]
    kind: BundleKind
    dangling: dict[int, list[Dangling]] = field(default_factory=dict)
    failed: dict[int, FhirError] = field(default_factory=dict)


async def apply_bundle(
    service: ResourceService,
    bundle_json: Any,
    access: Access | None = None,
    *,
    base: str = "",
    search: SearchEngine | None = None,
    integrity: ReferenceIntegrity | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    prefer: ReturnPreference = "representation",
) -> BundleResult:
    """Apply a transaction or batch Bundle (a parsed JSON object) and return the response.

    How to call it (the REST route and ``fhirport fhir import`` both do)::

        result = await apply_bundle(runtime.service, bundle, access, base=base_url,
                                    search=runtime.search, integrity=runtime.integrity)
        result.bundle    # the transaction-response / batch-response Bundle
        result.dangling  # {entry index: [Dangling]} kept under --referential-integrity lenient
        result.failed    # {entry index: FhirError} of a batch's failed entries

    ``access`` None: unrestricted (a local importer). ``integrity`` defaults to the
    service's (``service.integrity``); None there too means no integrity checks.
    ``search`` answers GET search entries (default: the service's matcher, when it is
    the search engine). A transaction that fails raises FhirError (its issues name the
    entry); so does a Bundle that is not a transaction or batch (400) or has more than
    ``max_entries`` entries (413). Nothing of a failed transaction is stored.
    """
    access = access or Access.unrestricted()
    if integrity is None:
        integrity = service.integrity
    if search is None and isinstance(service.matcher, SearchEngine):
        search = service.matcher
    base_urls = search.base_urls if search is not None else ()
    parsed = parse_bundle(bundle_json, base_urls, max_entries)
    run = _Run(service, access, integrity, search, base)
    if parsed.kind is BundleKind.TRANSACTION:
        if not service.store.transactions:
            raise InvalidRequest(
                "This store (memory://) cannot apply a transaction atomically: it has no "
                "multi-document transactions. Send a batch, or use SQLite or a MongoDB "
                "replica set",
                code="not-supported",
                expression="Bundle.type",
            )
        answers = await run.transaction(parsed.entries)
    else:
        answers = await run.batch(parsed.entries, parsed.errors)
    result = BundleResult(response_bundle(parsed.kind, base, answers, prefer), parsed.kind)
    for index, answer in enumerate(answers):
        if answer.warnings:
            result.dangling[index] = answer.warnings
        if answer.error is not None:
            result.failed[index] = answer.error
    return result


class _Run:
    """One Bundle's application: its transaction, or its batch entries one by one."""

    def __init__(
        self,
        service: ResourceService,
        access: Access,
        integrity: ReferenceIntegrity | None,
        search: SearchEngine | None,
        base: str,
    ) -> None:
        self.service = service
        self.access = access
        self.integrity = integrity
        self.search = search
        self.base = base

    async def transaction(self, entries: list[RequestEntry]) -> list[EntryResponse]:
        for entry in entries:
            if entry.verb in (Verb.GET, Verb.HEAD) and entry.params is not None:
                self._check_search(entry)
        plan = await self._apply(entries)
        return [await self._answer(entry, plan) for entry in entries]

    async def batch(
        self, entries: list[RequestEntry], errors: dict[int, FhirError]
    ) -> list[EntryResponse]:
        full_urls = {e.full_url: e.index for e in entries if e.full_url}
        answers: list[EntryResponse] = []
        for entry in entries:
            try:
                if entry.index in errors:
                    raise errors[entry.index]
                self._refuse_links(entry, full_urls)
                if entry.verb in (Verb.GET, Verb.HEAD) and entry.params is not None:
                    self._check_search(entry)
                plan = await self._apply([entry])
                answers.append(await self._answer(entry, plan))
            except FhirError as error:
                answers.append(EntryResponse(error.status, error=error))
        return answers

    def _refuse_links(self, entry: RequestEntry, full_urls: dict[str, int]) -> None:
        body = entry.resource
        if body is None:
            return
        others = {url: i for url, i in full_urls.items() if i != entry.index}
        where = unresolved(body, f"{entry.where}.resource", others)
        if where is not None:
            raise InvalidRequest(
                f"{where} refers to another entry of this batch; batch entries are "
                "independent (send a transaction to link them)",
                expression=where,
            )

    def _check_search(self, entry: RequestEntry) -> None:
        if self.search is None:
            raise InvalidRequest("Searches need the search engine", expression=entry.where)
        with about(entry):
            self.search.parse(entry.resource_type, entry.params or [], lenient=False)

    async def _apply(self, entries: list[RequestEntry]) -> Plan:
        """Plan and store the entries' writes in one ``store.write``, planning again after a
        lost race; same-criteria conditional writers in this process queue (KeyedLock)."""
        keys = sorted({key for entry in entries if (key := _criteria_key(entry))})
        expected: dict[str, str | None] = {}
        async with contextlib.AsyncExitStack() as stack:
            for key in keys:
                await stack.enter_async_context(self.service.conditionals.hold(key))
            plan: Plan | None = None
            attempts = settles = 0
            while attempts < _MAX_ATTEMPTS and settles < MAX_SETTLES:
                if plan is None:
                    attempts += 1
                    plan = await self._plan(entries, expected)
                try:
                    await self._store(plan.writes)
                except VersionConflict:
                    plan = None
                    continue
                except HoldTaken as taken:
                    settles += 1
                    await settle(plan, taken)  # the same writes, asking again
                    continue
                except GuardTaken as taken:
                    plan = None
                    expected[taken.key] = taken.holder
                    holder_type = next(
                        (e.resource_type for e in entries if _criteria_key(e) == taken.key), None
                    )
                    if taken.holder is not None and holder_type is not None:
                        await self.service._wait_for(holder_type, taken.holder)
                    continue
                return plan
        raise Conflict("The resources of this Bundle are contended by other writers; retry")

    async def _plan(self, entries: list[RequestEntry], expected: dict[str, str | None]) -> Plan:
        return await Planner(self.service, self.access, self.integrity, expected).plan(entries)

    async def _store(self, writes: Sequence[Write]) -> None:
        if not writes:
            return
        audit_touched(f"{w.version.resource_type}/{w.version.id}" for w in writes[1:])
        event = self.service.audit(writes[0]) if self.service.audit is not None else None
        await self.service.commit([*writes, event] if event is not None else writes)

    async def _answer(self, entry: RequestEntry, plan: Plan) -> EntryResponse:
        """An entry's response: a write's from the plan; a read's done now, after the commit."""
        if entry.is_write:
            source = entry.extra.get("same_as", entry.index)
            result = plan.results[source]
            status = 200 if source != entry.index and result.status == 201 else result.status
            return EntryResponse(status, result.version, warnings=result.warnings)
        head = entry.verb is Verb.HEAD
        try:
            if entry.params is not None:
                return EntryResponse(200, document=await self._search(entry), head=head)
            assert entry.resource_id is not None
            if entry.version_id is not None:
                version = await self.service.vread(
                    entry.resource_type, entry.resource_id, entry.version_id
                )
            else:
                version = await read_visible(
                    self.access, self.service, entry.resource_type, entry.resource_id, "r"
                )
        except FhirError as error:
            return EntryResponse(error.status, error=located(error, entry))
        audit_returned((version,))
        return EntryResponse(200, version, head=head, read=True)

    async def _search(self, entry: RequestEntry) -> dict[str, Any]:
        assert self.search is not None
        access = self.access
        confined = access.restrictions(entry.resource_type, "s")
        parsed = self.search.parse(entry.resource_type, entry.params or [], lenient=False)
        access.confine_joins(parsed)
        admit = None if access.claims is None else _admit(access)
        result = await self.search.run(parsed, confined, admit)
        audit_returned((*result.page.versions, *result.included))
        return search_bundle(result, self.base, entry.resource_type)


def _admit(access: Access) -> Any:
    return lambda version: access.permits(version, "r")


def _criteria_key(entry: RequestEntry) -> str | None:
    """The guard key of an entry's conditional create or update, if it is one."""
    if entry.verb is Verb.POST and entry.if_none_exist is not None:
        params = parse_qsl(entry.if_none_exist.lstrip("?"), keep_blank_values=True)
        return criteria_key(entry.resource_type, params)
    if entry.verb is Verb.PUT and entry.conditional:
        return criteria_key(entry.resource_type, entry.params or [])
    return None

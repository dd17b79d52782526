"""One attempt at a transaction: every entry resolved to the Writes that carry it out.

Entries are taken in the order http.html#trules sets (DELETE, POST, PUT and PATCH, then
GET and HEAD), whatever their order in the Bundle. The plan reads the store through a
``View``, which also holds the versions the plan itself writes, so each entry sees the
entries before it; nothing is stored here. Conditional creates and updates carry the
same guard (server.storage.port ``Guard``) a single request would, so transactions
racing to create the same resource make one. The engine (server.transactions.engine)
stores the plan's writes in one ``store.write`` and plans again after a lost race.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

import orjson

from server.auth.access import Access
from server.auth.visibility import check_write, read_visible, refuse_conditional
from server.errors import Gone, InvalidRequest, InvalidResource, NotFound, PreconditionFailed
from server.fhir.validation import validate_resource
from server.hold_rules import HoldPlan, HoldRule
from server.integrity import Dangling, ReferenceIntegrity, Referrers
from server.integrity.walk import references
from server.interactions import ResourceService, criteria_key, new_id, pinned
from server.planned_versions import planned
from server.storage.port import Guard, Method, Required, StoredVersion, Write
from server.transactions import side_writes
from server.transactions.errors import about
from server.transactions.parse import ORDER, RequestEntry, Verb
from server.transactions.references import ConditionalReferences, Found, rewrite
from server.versions import next_version

Key = tuple[str, str]
# A large Bundle is validated and indexed in slices of this many entries, the event loop
# serving other requests in between.
_YIELD_EVERY = 50


@dataclass(slots=True)
class EntryResult:
    """What one write entry did: its version (None: nothing to do), and how it went."""

    status: int
    version: StoredVersion | None = None
    warnings: list[Dangling] = field(default_factory=list)


def _copy(resource: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON object (each attempt stamps its own)."""
    copied: dict[str, Any] = orjson.loads(orjson.dumps(resource))
    return copied


class View:
    """The store as the transaction sees it: stored versions, then its own writes."""

    def __init__(self, service: ResourceService) -> None:
        self.store = service.store
        self.versions: dict[Key, StoredVersion | None] = {}

    async def load(self, keys: Iterable[Key]) -> None:
        missing = [k for k in dict.fromkeys(keys) if k not in self.versions]
        if missing:
            self.versions.update(await self.store.read_many(missing))

    async def get(self, key: Key) -> StoredVersion | None:
        if key not in self.versions:
            self.versions[key] = await self.store.read(*key)
        return self.versions[key]


@dataclass(slots=True)
class Held:
    """An entry whose write asks for exclusive holds: its type's rule and that rule's plan."""

    entry: RequestEntry
    rule: HoldRule
    plan: HoldPlan


@dataclass(slots=True)
class Plan:
    writes: list[Write]
    results: dict[int, EntryResult]
    identities: dict[int, Key]  # the resource each write entry resolved to
    held: dict[int, Held] = field(default_factory=dict)  # by position in ``writes``


class Planner:
    """Plans one attempt of a transaction (or of one batch entry) on ``service``.

    ``expected_holders``: for criteria whose guard a previous attempt lost to a
    resource that no longer matches them, the holder to take the guard over from.
    ``integrity`` None: no referential integrity checks.
    """

    def __init__(
        self,
        service: ResourceService,
        access: Access,
        integrity: ReferenceIntegrity | None,
        expected_holders: Mapping[str, str | None],
    ) -> None:
        self.service = service
        self.access = access
        self.integrity = integrity
        self.expected_holders = expected_holders
        self.view = View(service)
        self.writes: list[Write] = []
        self.results: dict[int, EntryResult] = {}
        self.identities: dict[int, Key] = {}
        self.claimed: dict[Key, int] = {}  # the entry that writes each resource
        self.ids: dict[str, Key] = {}  # fullUrl -> the resource it names
        self.created: dict[str, Key] = {}  # criteria key -> resource of a conditional create
        self.creators: dict[str, int] = {}  # criteria key -> the entry that creates it
        self.bodies: dict[int, dict[str, Any]] = {}
        self.held: dict[int, Held] = {}
        # The references of each body, found once (a PATCH's: after it is applied).
        self.references: dict[int, Found] = {}
        # The Patient versions each write requires, from following merges (_run_rules).
        self.pins: dict[Key, Sequence[Required]] = {}
        # What it deletes and the eligibility requests it posts (side_writes).
        self.deleted: list[tuple[RequestEntry, StoredVersion]] = []
        self.eligibility: list[tuple[RequestEntry, Key, dict[str, Any]]] = []

    async def plan(self, entries: list[RequestEntry]) -> Plan:
        ordered = sorted(entries, key=lambda e: (ORDER[e.verb], e.index))
        await self.view.load(
            (e.resource_type, e.resource_id)
            for e in ordered
            if e.resource_id is not None and e.verb is not Verb.POST
        )
        for entry in ordered:
            with about(entry):
                if entry.verb is Verb.DELETE:
                    await self._delete(entry)
                elif entry.verb is Verb.POST:
                    await self._identify_create(entry)
                elif entry.verb in (Verb.PUT, Verb.PATCH):
                    await self._identify_update(entry)
        written = {*self.claimed, *((w.version.resource_type, w.version.id) for w in self.writes)}
        self._also(await side_writes.released(self.service, self.deleted, written))
        conditional = ConditionalReferences(self.service.matcher, self.created)
        for entry in ordered:
            body = self.bodies.get(entry.index)
            if body is not None:
                with about(entry):
                    found = list(references(body, f"{entry.where}.resource"))
                    self.references[entry.index] = found
                    rewrite(found, self.ids)
                    await conditional.resolve_all(found)
        for count, entry in enumerate(ordered, 1):
            if count % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # validation and indexing are CPU: let others run
            with about(entry):
                if entry.verb in (Verb.POST, Verb.PUT):
                    await self._write_body(entry)
                elif entry.verb is Verb.PATCH:
                    await self._patch(entry)
        self._also(
            await side_writes.eligibility_answers(
                self.service, self.access, self.eligibility, self.view.versions
            )
        )
        await self._check_integrity(ordered)
        self._pin()
        for entry in ordered:
            if not entry.is_write and entry.params is None:
                with about(entry):
                    await self._check_read(entry)
        return Plan(self.writes, self.results, self.identities, self.held)

    # Identities ---------------------------------------------------------------

    def _claim(self, entry: RequestEntry, key: Key) -> None:
        """Record the resource an entry writes; two entries writing one fail the transaction."""
        index = self.claimed.setdefault(key, entry.index)
        if index != entry.index:
            raise InvalidRequest(
                f"{entry.where} and Bundle.entry[{index}] both change "
                f"{key[0]}/{key[1]}: entries of a transaction may not overlap",
                expression=f"{entry.where}.request.url",
            )
        self.identities[entry.index] = key
        if entry.full_url:
            self.ids[entry.full_url] = key

    async def _matches(self, entry: RequestEntry, params: list[tuple[str, str]]) -> list[str]:
        """The one or no match of conditional criteria; 412 for more (http.html#cond-update)."""
        matcher = self.service.matcher
        if matcher is None:
            raise InvalidRequest("Conditional interactions need the search engine")
        if not params:
            raise InvalidRequest(
                f"A conditional {entry.verb} needs search parameters",
                expression=f"{entry.where}.request",
            )
        ids = await matcher.match_ids(entry.resource_type, params, limit=2)
        if len(ids) > 1:
            raise PreconditionFailed(
                f"The criteria of {entry.where} match more than one {entry.resource_type}",
                expression=f"{entry.where}.request",
            )
        return ids

    def _guard(self, resource_type: str, params: list[tuple[str, str]]) -> Guard:
        key = criteria_key(resource_type, params)
        return Guard(key, self.expected_holders.get(key))

    async def _identify_create(self, entry: RequestEntry) -> None:
        assert entry.resource is not None
        self.bodies[entry.index] = _copy(entry.resource)
        if entry.if_none_exist is None:
            self._claim(entry, (entry.resource_type, new_id()))
            return
        refuse_conditional(self.access, entry.resource_type, "c")
        params = parse_qsl(entry.if_none_exist.lstrip("?"), keep_blank_values=True)
        key = criteria_key(entry.resource_type, params)
        if key in self.created:  # an earlier entry creates the same thing: the same resource
            self.identities[entry.index] = self.created[key]
            if entry.full_url:
                self.ids[entry.full_url] = self.created[key]
            entry.extra["same_as"] = self.creators[key]
            return
        ids = await self._matches(entry, params)
        identity = (entry.resource_type, ids[0] if ids else new_id())
        self._claim(entry, identity)
        self.created[key] = identity
        self.creators[key] = entry.index
        if ids:
            entry.extra["existing"] = True
        else:
            entry.extra["guard"] = Guard(key, self.expected_holders.get(key))

    async def _identify_update(self, entry: RequestEntry) -> None:
        if entry.resource is not None:
            self.bodies[entry.index] = _copy(entry.resource)
        if not entry.conditional:
            assert entry.resource_id is not None
            self._claim(entry, (entry.resource_type, entry.resource_id))
            return
        refuse_conditional(self.access, entry.resource_type, "u")
        params = entry.params or []
        ids = await self._matches(entry, params)
        body_id = entry.resource.get("id") if entry.resource else None
        if ids:
            if body_id not in (None, ids[0]):
                raise InvalidResource(
                    f"Resource id {body_id!r} is not the matching {entry.resource_type}/{ids[0]}",
                    expression=f"{entry.where}.resource.id",
                    code="invalid",
                )
            self._claim(entry, (entry.resource_type, ids[0]))
            return
        new = body_id if isinstance(body_id, str) else new_id()
        self._claim(entry, (entry.resource_type, new))
        entry.extra["guard"] = self._guard(entry.resource_type, params)

    # Writes -------------------------------------------------------------------

    def _add(
        self, entry: RequestEntry, write: Write, status: int, held: HoldPlan | None = None
    ) -> None:
        """Add an entry's write, and the versions its hold rule writes with it (``more``)."""
        if held is not None:
            rule = self.service.hold_rules[entry.resource_type]
            self.held[len(self.writes)] = Held(entry, rule, held)
        for stored in (write, *(held.more if held is not None else ())):
            self.writes.append(stored)
            self.view.versions[(stored.version.resource_type, stored.version.id)] = stored.version
        self.results[entry.index] = EntryResult(status, write.version)

    async def _delete(self, entry: RequestEntry) -> None:
        if entry.conditional:
            refuse_conditional(self.access, entry.resource_type, "d")
            ids = await self._matches(entry, entry.params or [])
            if not ids:
                self.results[entry.index] = EntryResult(204)
                return
            key = (entry.resource_type, ids[0])
        else:
            assert entry.resource_id is not None
            key = (entry.resource_type, entry.resource_id)
        self._claim(entry, key)
        current = await self.view.get(key)
        if self.access.restrictions(entry.resource_type, "d"):
            check_write(self.access, entry.resource_type, "d", current, None)
        self._check_if_match(entry, current)
        if current is None or current.deleted:
            self.results[entry.index] = EntryResult(204)
            return
        marker = next_version(
            *key, current, None, Method.DELETE, self.service.indexer, client_write=True
        )
        self._add(entry, marker, 204)
        self.deleted.append((entry, current))
        if entry.extra.get("cascade") and self.integrity is not None:
            await self._cascade(entry, key)

    async def _cascade(self, entry: RequestEntry, target: Key) -> None:
        """``DELETE T/id?_cascade=delete``: the resources referring to it go too."""
        assert self.integrity is not None
        for key in await self.integrity.cascade(target):
            current = await self.view.get(key)
            if current is None or current.deleted:
                continue
            check_write(self.access, key[0], "d", current, None)
            marker = next_version(
                *key, current, None, Method.DELETE, self.service.indexer, client_write=True
            )
            self.writes.append(marker)
            self.view.versions[key] = marker.version
            self.deleted.append((entry, current))

    def _also(self, writes: list[Write]) -> None:
        """Add versions written besides the entries' (server.transactions.side_writes)."""
        for write in writes:
            self.writes.append(write)
            self.view.versions[(write.version.resource_type, write.version.id)] = write.version

    async def _write_body(self, entry: RequestEntry) -> None:
        if "same_as" in entry.extra:
            return
        key = self.identities[entry.index]
        body = self.bodies[entry.index]
        if entry.extra.get("existing"):  # a conditional create that found its match
            self.results[entry.index] = EntryResult(200, await self.view.get(key))
            return
        # A POST makes a new resource (its id is new), whatever its body says.
        current = None if entry.verb is Verb.POST else await self.view.get(key)
        letter = "c" if entry.verb is Verb.POST else "u"
        if entry.verb is Verb.PUT:
            if body.get("id") != key[1] and (not entry.conditional or "id" in body):
                raise InvalidResource(
                    f"Resource id {body.get('id')!r} does not match the URL id {key[1]!r}",
                    expression=f"{entry.where}.resource.id",
                    code="invalid",
                )
            body["id"] = key[1]
            self._check_if_match(entry, current)
        validate_resource(body, entry.resource_type)
        if self.access.restrictions(entry.resource_type, letter):
            check_write(self.access, entry.resource_type, letter, current, body)
        held = await self._run_rules(entry, key, body, current)
        method = Method.POST if entry.verb is Verb.POST else Method.PUT
        write = next_version(
            *key,
            current,
            body,
            method,
            self.service.indexer,
            client_write=True,
            guard=entry.extra.get("guard"),
            holds=held.holds if held is not None else None,
        )
        created = current is None or current.deleted
        self._add(entry, write, 201 if created else 200, held)
        if entry.verb is Verb.POST and entry.resource_type == side_writes.ANSWERED:
            self.eligibility.append((entry, key, body))

    async def _patch(self, entry: RequestEntry) -> None:
        key = self.identities[entry.index]
        where = f"{entry.where}.request.url"
        current = await self.view.get(key)
        if current is None:
            raise NotFound(f"{key[0]}/{key[1]} is not known", expression=where)
        if current.deleted or current.body is None:
            raise Gone(f"{key[0]}/{key[1]} was deleted", expression=where)
        self._check_if_match(entry, current)
        assert entry.patch is not None
        patched = self.service._apply_patch(current.body, entry.patch)
        if patched.get("id") != key[1]:
            raise InvalidResource(
                "A patch may not change the resource id",
                code="invalid",
                expression=f"{entry.where}.resource",
            )
        self.bodies[entry.index] = patched
        validate_resource(patched, entry.resource_type)
        if self.access.restrictions(entry.resource_type, "u"):
            check_write(self.access, entry.resource_type, "u", current, patched)
        held = await self._run_rules(entry, key, patched, current)
        write = next_version(
            *key,
            current,
            patched,
            Method.PATCH,
            self.service.indexer,
            client_write=True,
            holds=held.holds if held is not None else None,
        )
        self._add(entry, write, 200, held)

    async def _run_rules(
        self, entry: RequestEntry, key: Key, body: dict[str, Any], current: StoredVersion | None
    ) -> HoldPlan | None:
        """What a single write runs before it stores (ResourceService._write): merges
        followed, the type's write rule, and its hold rule's plan, which it returns."""
        service = self.service
        if service.follow_merges is not None:
            self.pins[key] = await service.follow_merges(body)
        rule = service.rules.get(entry.resource_type)
        if rule is not None:
            live = current.body if current is not None and not current.deleted else None
            rule(body, orjson.loads(live) if live is not None else None)
        hold_rule = service.hold_rules.get(entry.resource_type)
        if hold_rule is None:
            return None
        with planned(self.view.versions):
            return await hold_rule.plan(key[1], body)

    @staticmethod
    def _check_if_match(entry: RequestEntry, current: StoredVersion | None) -> None:
        if entry.if_match is None:
            return
        if current is None or current.deleted or current.version != entry.if_match:
            have = "none" if current is None or current.deleted else current.version
            raise PreconditionFailed(
                f"ifMatch expected version {entry.if_match}, the current version is {have}",
                expression=f"{entry.where}.request.ifMatch",
            )

    # Checks -------------------------------------------------------------------

    async def _check_integrity(self, ordered: list[RequestEntry]) -> None:
        if self.integrity is None:
            return
        pending: dict[Key, bool] = {
            (w.version.resource_type, w.version.id): not w.version.deleted for w in self.writes
        }
        positions = {(w.version.resource_type, w.version.id): i for i, w in enumerate(self.writes)}
        for entry in ordered:
            result = self.results.get(entry.index)
            if result is None or result.version is None or result.version.deleted:
                continue
            body = self.bodies.get(entry.index)
            if body is not None:
                with about(entry):
                    path = f"{entry.where}.resource"
                    found = self.references.get(entry.index)
                    checked = await self.integrity.check_required(body, path, pending, found)
                    result.warnings, requires = checked
                    key = (result.version.resource_type, result.version.id)
                    if requires:
                        self._amend(positions[key], requires=requires)
        for key, exists in pending.items():
            if not exists and (unreferenced := self.integrity.unreferenced(key[0])):
                self._amend(positions[key], unreferenced=unreferenced)
        for entry in ordered:
            result = self.results.get(entry.index)
            if entry.verb is Verb.DELETE and result and result.version and self.integrity.strict:
                with about(entry):
                    await self._check_referrers(entry, result.version, pending)

    def _pin(self) -> None:
        """Require the Patient versions each write's merges were followed at."""
        positions = {(w.version.resource_type, w.version.id): i for i, w in enumerate(self.writes)}
        for key, pins in self.pins.items():
            if pins and key in positions:
                write = self.writes[positions[key]]
                self.writes[positions[key]] = replace(write, requires=pinned(write.requires, pins))

    def _amend(
        self,
        position: int,
        *,
        requires: tuple[Key, ...] = (),
        unreferenced: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """Add what the store checks at commit (server.storage.port ``Write``) to a write."""
        write = self.writes[position]
        if requires:
            write = replace(write, requires=requires)
        if unreferenced:
            write = replace(write, unreferenced=unreferenced)
        self.writes[position] = write

    async def _check_referrers(
        self, entry: RequestEntry, marker: StoredVersion, pending: Mapping[Key, bool]
    ) -> None:
        """409 when current resources outside the transaction still point at the deleted one."""
        assert self.integrity is not None
        target = (marker.resource_type, marker.id)
        rewritten = {key: index for index, key in self.identities.items()}
        remaining = []
        for key in await self.integrity.referrers(target, limit=len(self.writes) + 21):
            if key in pending and not pending[key]:
                continue  # deleted in this transaction too
            index = rewritten.get(key)
            body = self.bodies.get(index) if index is not None else None
            if body is not None and all(
                t != target for _, t, _ in self.integrity.targets(body, "")
            ):
                continue  # rewritten in this transaction without the reference
            remaining.append(key)
        if remaining:
            error = Referrers(f"{target[0]}/{target[1]}", tuple(remaining)).conflict()
            error.issues = [
                replace(i, expression=(f"{entry.where}.request.url",)) for i in error.issues
            ]
            raise error

    async def _check_read(self, entry: RequestEntry) -> None:
        """A read of a resource that will not exist fails the transaction (404 or 410)."""
        assert entry.resource_id is not None
        key = (entry.resource_type, entry.resource_id)
        version = await self.view.get(key)
        where = f"{entry.where}.request.url"
        if version is None:
            raise NotFound(f"{key[0]}/{key[1]} is not known", expression=where)
        if version.deleted and entry.version_id is None:
            raise Gone(f"{key[0]}/{key[1]} was deleted", expression=where)
        if self.access.restrictions(entry.resource_type, "r") and not any(
            w.version.id == key[1] and w.version.resource_type == key[0] for w in self.writes
        ):
            await read_visible(self.access, self.service, *key, "r")

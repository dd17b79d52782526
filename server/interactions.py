"""The FHIR RESTful interactions on one store: create, read, vread, update, patch, delete, history.

Store-agnostic: the service stamps what the server owns (``id`` on create,
``meta.versionId``, ``meta.lastUpdated``), computes the search index entries, and
writes with compare-and-swap on the version number. A write that loses a race is
retried from a fresh read, unless the client pinned the version with If-Match, in
which case it is a 412 (http.html#concurrency). A conditional create or update that
finds no match claims its criteria's guard with the resource it writes, so racing
writers of the same criteria make one resource (see server.storage.port).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import parse_qsl

import jsonpatch
import orjson

from server.errors import (
    Conflict,
    Gone,
    InvalidRequest,
    InvalidResource,
    NotFound,
    PreconditionFailed,
)
from server.fhir.clock import now_us
from server.fhir.validation import validate_resource
from server.hold_rules import HoldRule, Releases, store_held
from server.integrity import ReferenceIntegrity, Referrers
from server.keyed_lock import KeyedLock
from server.random_ids import random_hex
from server.storage.port import (
    Guard,
    GuardTaken,
    HistoryPage,
    HistoryQuery,
    Holds,
    InvalidCursor,
    LedgerEntry,
    Method,
    OutboxEntry,
    ReferenceChanged,
    Required,
    Store,
    StoredVersion,
    VersionConflict,
    Write,
)
from server.versions import Indexer, next_version

_MAX_ATTEMPTS = 8
# A guard naming a resource that does not exist is a claim whose resource is still
# being written (a store without transactions writes the claim first), or one whose
# writer died in between: it is waited for this long before its key is taken over.
ORPHAN_WAIT_S = 2.0
_ORPHAN_POLL_S = 0.02


class Matcher(Protocol):
    """Finds the ids of current resources matching search parameters (the search engine)."""

    async def match_ids(
        self, resource_type: str, params: Sequence[tuple[str, str]], limit: int
    ) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class WriteResult:
    """A stored version and whether the write created the resource."""

    version: StoredVersion
    created: bool


def new_id() -> str:
    """Return a fresh resource id: time-ordered (index-friendly), with 32 random bits."""
    return f"{now_us():x}{random_hex(4)}"


def criteria_key(resource_type: str, params: Sequence[tuple[str, str]]) -> str:
    """The guard key of conditional criteria: the type and the sorted parameters, hashed."""
    return hashlib.sha256(orjson.dumps([resource_type, sorted(params)])).hexdigest()


def pinned(existing: Sequence[Required], pins: Sequence[Required]) -> tuple[Required, ...]:
    """A write's ``requires``: the resources it must find, a pinned version where it has one."""
    keys = {pin[:2] for pin in pins}
    return (*pins, *(required for required in existing if required[:2] not in keys))


# The audit trail's hook (server.audit): the AuditEvent Write of the request being
# served, stored in the same batch as the resource so that the two commit together.
WriteAudit = Callable[[Write], Write | None]

OnMatch = Callable[[str], Awaitable[WriteResult]]
OnNoMatch = Callable[[Guard], Awaitable[WriteResult]]


class WriteOutbound(Protocol):
    """The outbound HL7v2 feed's hook (server.hl7v2.outbound.events).

    Called with every batch before it is stored, and the MSH-3|MSH-4 of the HL7v2
    message the writes came from (None for a client's write): the outbox entries the
    batch owes the feed's destinations, stored in the same batch. ``committed`` is told
    after a batch with entries is stored.
    """

    def __call__(self, writes: Sequence[Write], origin: str | None) -> list[OutboxEntry]: ...

    def committed(self) -> None: ...


class WriteRule(Protocol):
    """A type's business rules, run on every client write of that type before it is stored.

    Gets the validated resource (which it may complete, e.g. with server-set dates) and
    the current version's content (None when the write creates the resource); raises a
    FhirError (usually a 422 BusinessRuleViolation) to refuse the write.
    """

    def __call__(self, resource: dict[str, Any], current: dict[str, Any] | None) -> None: ...


class ResourceService:
    """Versioned CRUD and history over a Store.

    ``indexer`` computes a resource's search index entries (the search package's
    extractor); ``matcher`` answers the search queries of conditional interactions;
    ``orphan_wait`` is how long (seconds) a conditional write waits for the resource
    of a criteria's guard to appear before taking the guard over.
    """

    def __init__(
        self,
        store: Store,
        indexer: Indexer,
        matcher: Matcher | None = None,
        rules: Mapping[str, WriteRule] | None = None,
        *,
        orphan_wait: float = ORPHAN_WAIT_S,
        audit: WriteAudit | None = None,
        holds: Mapping[str, HoldRule] | None = None,
        outbound: WriteOutbound | None = None,
        integrity: ReferenceIntegrity | None = None,
        follow_merges: Callable[[dict[str, Any]], Awaitable[Sequence[Required]]] | None = None,
    ) -> None:
        self.store = store
        self.indexer = indexer
        self.matcher = matcher
        self.rules: Mapping[str, WriteRule] = rules or {}
        self.writers = KeyedLock()
        # Same-criteria conditional writers in this process queue here rather than
        # meet at the store's guard; the guard is what holds across processes.
        self.conditionals = KeyedLock()
        self.orphan_wait = orphan_wait
        self.audit = audit
        self.hold_rules: Mapping[str, HoldRule] = holds or {}
        self.outbound = outbound
        # Referential integrity of client writes (server.integrity); None: not checked.
        self.integrity = integrity
        # Points a client write's references to merged-away Patients at their survivors
        # (server.hl7v2.ingest.follow_merges) and returns the Patients' versions, which the
        # write requires: a merge either is seen or makes the store refuse the write
        # (ReferenceChanged), which then runs again.
        self.follow_merges = follow_merges

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion:
        """Return the current version; 404 if unknown, 410 if deleted."""
        found = await self.store.read(resource_type, resource_id)
        if found is None:
            raise NotFound(f"{resource_type}/{resource_id} is not known", expression="id")
        if found.deleted:
            raise Gone(
                f"{resource_type}/{resource_id} was deleted",
                headers={"ETag": f'W/"{found.version}"'},
            )
        return found

    async def vread(self, resource_type: str, resource_id: str, version: str) -> StoredVersion:
        """Return one version; 404 if there is no such version, 410 if it is a delete."""
        if not version.isdigit() or len(version) > 18:
            raise NotFound(f"Version {version!r} of {resource_type}/{resource_id} is not known")
        found = await self.store.vread(resource_type, resource_id, int(version))
        if found is None:
            raise NotFound(f"Version {version} of {resource_type}/{resource_id} is not known")
        if found.deleted:
            raise Gone(f"Version {version} of {resource_type}/{resource_id} is a deletion")
        return found

    async def create(
        self,
        resource_type: str,
        resource: dict[str, Any],
        *,
        if_none_exist: str | None = None,
    ) -> WriteResult:
        """Create with a server-assigned id; conditional on ``If-None-Exist`` when given.

        A conditional create with one match answers that match (http.html#ccreate).
        """
        validate_resource(resource, resource_type)
        if if_none_exist is None:
            return await self._create(resource_type, resource)
        params = parse_qsl(if_none_exist.lstrip("?"), keep_blank_values=True)

        async def existing(match: str) -> WriteResult:
            return WriteResult(await self.read(resource_type, match), created=False)

        async def new(guard: Guard) -> WriteResult:
            return await self._create(resource_type, resource, guard)

        return await self._conditional_write(
            resource_type, params, "create", "If-None-Exist", existing, new
        )

    async def _create(
        self, resource_type: str, resource: dict[str, Any], guard: Guard | None = None
    ) -> WriteResult:
        resource_id = new_id()
        for _ in range(_MAX_ATTEMPTS):
            try:
                version = await self._write(
                    resource_type, resource_id, resource, None, Method.POST, guard
                )
            except ReferenceChanged:
                continue  # a resource it refers to was deleted meanwhile: check again
            return WriteResult(version, created=True)
        raise self._busy(resource_type, resource_id)

    async def update(
        self,
        resource_type: str,
        resource_id: str,
        resource: dict[str, Any],
        *,
        if_match: int | None = None,
    ) -> WriteResult:
        """Store a new version, or create the resource with the client's id."""
        body_id = resource.get("id")
        if body_id != resource_id:
            raise InvalidResource(
                f"Resource id {body_id!r} does not match the URL id {resource_id!r}",
                expression=f"{resource_type}.id",
                code="invalid",
            )
        validate_resource(resource, resource_type)
        return await self._update(resource_type, resource_id, resource, if_match)

    async def _update(
        self,
        resource_type: str,
        resource_id: str,
        resource: dict[str, Any],
        if_match: int | None,
        guard: Guard | None = None,
    ) -> WriteResult:
        async with self.writers.hold((resource_type, resource_id)):
            for _ in range(_MAX_ATTEMPTS):
                current = await self.store.read(resource_type, resource_id)
                self._check_if_match(current, if_match)
                try:
                    version = await self._write(
                        resource_type, resource_id, resource, current, Method.PUT, guard
                    )
                except ReferenceChanged:
                    continue  # a resource it refers to was deleted meanwhile: check again
                except VersionConflict:
                    if if_match is not None:
                        raise self._stale(resource_type, resource_id, if_match) from None
                    continue
                created = current is None or current.deleted
                return WriteResult(version, created=created)
            raise self._busy(resource_type, resource_id)

    async def patch(
        self,
        resource_type: str,
        resource_id: str,
        operations: Any,
        *,
        if_match: int | None = None,
    ) -> WriteResult:
        """Apply a JSON Patch (RFC 6902) to the current version and store the result."""
        if not isinstance(operations, list):
            raise InvalidRequest("A JSON Patch document must be an array of operations")
        async with self.writers.hold((resource_type, resource_id)):
            for _ in range(_MAX_ATTEMPTS):
                current = await self.read(resource_type, resource_id)
                self._check_if_match(current, if_match)
                assert current.body is not None
                patched = self._apply_patch(current.body, operations)
                if patched.get("id") != resource_id:
                    raise InvalidResource(
                        "A patch may not change the resource id",
                        code="invalid",
                        expression=f"{resource_type}.id",
                    )
                validate_resource(patched, resource_type)
                try:
                    version = await self._write(
                        resource_type, resource_id, patched, current, Method.PATCH
                    )
                except ReferenceChanged:
                    continue  # a resource it refers to was deleted meanwhile: check again
                except VersionConflict:
                    if if_match is not None:
                        raise self._stale(resource_type, resource_id, if_match) from None
                    continue
                return WriteResult(version, created=False)
            raise self._busy(resource_type, resource_id)

    async def delete(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        """Delete (a new version that is a deletion); None when there was nothing to delete.

        Under strict referential integrity, 409 while current resources refer to it.
        """
        deleted, _ = await self.delete_cascade(resource_type, resource_id, cascade=False)
        return deleted

    async def delete_cascade(
        self,
        resource_type: str,
        resource_id: str,
        *,
        cascade: bool = True,
        check: Callable[[StoredVersion], None] | None = None,
    ) -> tuple[StoredVersion | None, list[StoredVersion]]:
        """Delete a resource and, with ``cascade``, every resource referring to it, at once.

        Returns the deletion (None: nothing to delete) and the referrers' deletions.
        ``check`` is run on each referrer's current version before (an access check).
        """
        async with self.writers.hold((resource_type, resource_id)):
            for _ in range(_MAX_ATTEMPTS):
                current = await self.store.read(resource_type, resource_id)
                if current is None or current.deleted:
                    return None, []
                marker = self._delete_marker(current)
                others = await self._referrer_deletes(current, cascade, check)
                released = await self._released([current, *(w.replaces for w in others)])
                try:
                    await self._store(marker, [*others, *released])
                except VersionConflict:
                    continue
                return marker.version, [w.version for w in others]
            raise self._busy(resource_type, resource_id)

    async def _released(self, deleted: Sequence[StoredVersion | None]) -> Sequence[Write]:
        """What the types' hold rules write with the deletions of ``deleted`` (a cascade's
        Appointments free their Slots as deleting each one would)."""
        gone = [current for current in deleted if current is not None]
        releases = Releases(self.hold_rules, [(v.resource_type, v.id) for v in gone])
        for current in gone:
            await releases.add(current)
        return releases.writes

    def _delete_marker(self, current: StoredVersion) -> Write:
        """The deletion of ``current``; under strict integrity it commits only while
        nothing outside its batch refers to the resource (``Write.unreferenced``)."""
        marker = next_version(
            current.resource_type,
            current.id,
            current,
            None,
            Method.DELETE,
            self.indexer,
            client_write=True,
        )
        if self.integrity is None:
            return marker
        return replace(marker, unreferenced=self.integrity.unreferenced(current.resource_type))

    async def _referrer_deletes(
        self,
        target: StoredVersion,
        cascade: bool,
        check: Callable[[StoredVersion], None] | None,
    ) -> list[Write]:
        """The deletions a delete of ``target`` takes along; 409 when it may take none."""
        if self.integrity is None:
            return []
        key = (target.resource_type, target.id)
        if not cascade:
            if self.integrity.strict and (found := await self.integrity.referrers(key)):
                raise Referrers(f"{key[0]}/{key[1]}", tuple(found)).conflict()
            return []
        keys = await self.integrity.cascade(key)
        currents = await self.store.read_many(keys)
        writes = []
        for referrer in keys:
            version = currents.get(referrer)
            if version is None or version.deleted:
                continue
            if check is not None:
                check(version)
            writes.append(self._delete_marker(version))
        return writes

    async def conditional_update(
        self,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        resource: dict[str, Any],
        *,
        if_match: int | None = None,
    ) -> WriteResult:
        """``PUT /T?criteria`` (http.html#cond-update): create on 0 matches, update on 1, 412."""
        body_id = resource.get("id")  # before a lost attempt stamps one of its own

        async def update_match(match: str) -> WriteResult:
            if body_id not in (None, match):
                raise InvalidResource(
                    f"Resource id {body_id!r} is not the matching {resource_type}/{match}",
                    expression=f"{resource_type}.id",
                    code="invalid",
                )
            resource["id"] = match
            validate_resource(resource, resource_type)
            return await self._update(resource_type, match, resource, if_match)

        async def create(guard: Guard) -> WriteResult:
            validate_resource(resource, resource_type)
            if isinstance(body_id, str):
                return await self._update(resource_type, body_id, resource, if_match, guard)
            return await self._create(resource_type, resource, guard)

        return await self._conditional_write(
            resource_type, params, "PUT", None, update_match, create
        )

    async def conditional_delete(
        self, resource_type: str, params: Sequence[tuple[str, str]]
    ) -> StoredVersion | None:
        """``DELETE /T?criteria`` (http.html#cond-delete): one match at most, else 412."""
        ids = await self._criteria_matches(resource_type, params, "DELETE")
        return await self.delete(resource_type, ids[0]) if ids else None

    async def _criteria_matches(
        self,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        verb: str,
        expression: str | None = None,
    ) -> list[str]:
        """The ids matching conditional criteria: none, one, or 412 (http.html#cond-update)."""
        if self.matcher is None:
            raise InvalidRequest("Conditional interactions need the search engine")
        if not params:
            raise InvalidRequest(
                f"A conditional {verb} needs search parameters", expression=expression
            )
        ids = await self.matcher.match_ids(resource_type, params, limit=2)
        if len(ids) > 1:
            raise PreconditionFailed(
                f"The criteria of this conditional {verb} match more than one {resource_type}",
                expression=expression,
            )
        return ids

    async def history(self, query: HistoryQuery) -> HistoryPage:
        """Return versions newest first, with a cursor for the next page."""
        try:
            return await self.store.history(query)
        except InvalidCursor as exc:
            raise InvalidRequest(str(exc), expression="_page") from None

    async def _conditional_write(
        self,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        verb: str,
        expression: str | None,
        on_match: OnMatch,
        on_no_match: OnNoMatch,
    ) -> WriteResult:
        """Search the criteria, then write the one match or a new resource claiming them.

        A claim lost to another writer means that writer's resource is stored: the
        next search finds it, or, if it no longer matches (changed or deleted since),
        the claim is taken over from it by compare-and-swap.
        """
        key = criteria_key(resource_type, params)
        async with self.conditionals.hold(key):
            expected: str | None = None
            for _ in range(_MAX_ATTEMPTS):
                ids = await self._criteria_matches(resource_type, params, verb, expression)
                if ids:
                    return await on_match(ids[0])
                try:
                    return await on_no_match(Guard(key, expected))
                except GuardTaken as taken:
                    expected = taken.holder
                    if expected is not None:
                        await self._wait_for(resource_type, expected)
            raise Conflict(
                f"The criteria of this conditional {verb} are contended by other writers; retry"
            )

    async def _wait_for(self, resource_type: str, resource_id: str) -> None:
        """Return once the resource exists, or after ``orphan_wait`` if it never does."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.orphan_wait
        while await self.store.read(resource_type, resource_id) is None:
            if loop.time() >= deadline:
                return
            await asyncio.sleep(_ORPHAN_POLL_S)

    async def _write(
        self,
        resource_type: str,
        resource_id: str,
        resource: dict[str, Any],
        current: StoredVersion | None,
        method: Method,
        guard: Guard | None = None,
    ) -> StoredVersion:
        """Run the type's write rule, then store the next version after ``current``."""
        rule = self.rules.get(resource_type)
        hold_rule = self.hold_rules.get(resource_type)
        live = current.body if current is not None else None  # None: new or deleted
        pins = await self.follow_merges(resource) if self.follow_merges is not None else ()
        if rule is not None:
            rule(resource, orjson.loads(live) if live is not None else None)
        existing: tuple[tuple[str, str], ...] = ()
        if self.integrity is not None:
            itself = {(resource_type, resource_id): True}
            _, existing = await self.integrity.check_required(resource, resource_type, itself)
        requires = pinned(existing, pins)

        async def attempt(holds: Holds | None, more: Sequence[Write] = ()) -> StoredVersion:
            write = next_version(
                resource_type,
                resource_id,
                current,
                resource,
                method,
                self.indexer,
                client_write=True,
                guard=guard,
                holds=holds,
            )
            if requires:
                write = replace(write, requires=requires)
            await self._store(write, more)
            return write.version

        if hold_rule is None:
            return await attempt(None)
        return await store_held(hold_rule, resource_id, resource, attempt)

    async def follow_late_merges(self, version: StoredVersion) -> StoredVersion:
        """The stored version again, by a new version if a Patient it refers to was merged
        away after it was stored: a merge that searched for the Patient's records before
        this one committed did not move it, and searches again after its own commit
        (repoint.repoint_stragglers), moving it here."""
        if self.follow_merges is None or b'"Patient/' not in (version.body or b""):
            return version
        current: StoredVersion | None = version
        for _ in range(_MAX_ATTEMPTS):
            if current is None or current.body is None:
                return version
            body = orjson.loads(current.body)
            await self.follow_merges(body)
            if body == orjson.loads(current.body):
                return current
            write = next_version(
                current.resource_type,
                current.id,
                current,
                body,
                Method.PUT,
                self.indexer,
                event_time=current.event_time,
            )
            try:
                await self.commit([write])
            except VersionConflict:
                current = await self.store.read(current.resource_type, current.id)
                continue
            return write.version
        raise self._busy(version.resource_type, version.id)

    async def _store(self, write: Write, more: Sequence[Write] = ()) -> None:
        """Store a write (and ``more`` with it), with the audit record of the request."""
        event = self.audit(write) if self.audit is not None else None
        batch = [write, *more]
        await self.commit(batch if event is None else [*batch, event])

    async def commit(
        self,
        writes: Sequence[Write],
        ledger: LedgerEntry | None = None,
        *,
        origin: str | None = None,
    ) -> None:
        """Store versions built by ``next_version`` in one atomic ``store.write``, with the
        outbound feed's entries for them: every write of resources goes through here.

        ``origin`` names the HL7v2 sender (MSH-3|MSH-4) the writes came from.
        """
        outbox = self.outbound(writes, origin) if self.outbound is not None else None
        if outbox and self.outbound is not None:
            await self.store.write(writes, ledger, outbox=outbox)
            self.outbound.committed()
        else:
            await self.store.write(writes, ledger)

    @staticmethod
    def _check_if_match(current: StoredVersion | None, if_match: int | None) -> None:
        if if_match is None:
            return
        if current is None or current.version != if_match:
            have = "none" if current is None else current.version
            raise PreconditionFailed(
                f"If-Match expected version {if_match}, the current version is {have}",
                expression="If-Match",
            )

    @staticmethod
    def _busy(resource_type: str, resource_id: str) -> Conflict:
        return Conflict(f"{resource_type}/{resource_id} is being changed by other writers; retry")

    @staticmethod
    def _stale(resource_type: str, resource_id: str, if_match: int) -> PreconditionFailed:
        return PreconditionFailed(
            f"{resource_type}/{resource_id} changed after version {if_match}",
            expression="If-Match",
        )

    @staticmethod
    def _apply_patch(body: bytes, operations: list[Any]) -> dict[str, Any]:
        document = orjson.loads(body)
        try:
            patched = jsonpatch.apply_patch(document, operations)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise InvalidRequest(f"JSON Patch failed: {exc}") from None
        except (TypeError, KeyError, ValueError, AttributeError):
            raise InvalidRequest("JSON Patch document is malformed") from None
        if not isinstance(patched, dict):
            raise InvalidResource("The patched document is not a resource")
        return patched

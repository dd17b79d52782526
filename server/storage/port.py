"""The storage port: what the FHIR layer asks of a store, and nothing about how.

Stores keep every version of every resource as the JSON bytes that were validated
and stamped, plus the search index entries of the current version. Writes are
compare-and-swap on the version number, which is how concurrent writers never lose
an update: a write that expected version n fails with VersionConflict if another
writer got there first.

Conditional create and update (http.html#cond-update) search, then write; two
writers that both searched before either wrote would both create. Version CAS cannot
stop that (the two resources have different ids), so such a write also claims a
``Guard``: a key naming the resource that claimed it, derived from the resource type
and the criteria (sha256 of the type and the parameters sorted by name, then value:
``server.interactions.criteria_key``; criteria that differ only in the order of
their parameters share a key, criteria written differently, ``a,b`` and ``b,a`` say,
do not). The claim is a write on one row or document that every racer conflicts on,
which is what makes it hold across processes and under MongoDB's snapshot-isolated
transactions, where two transactions can both see no match. The claim succeeds if
no one holds the key, or, as a compare-and-swap, if it still names
``expected_holder`` (a holder that no longer matches the criteria, or was deleted, is
taken over that way); otherwise the write fails with GuardTaken and stores nothing
of its own. A row or document per criteria rather than a lock: nothing to release
after a crash. A claim stays when its resource changes or is deleted, and is taken
over then. In one process the service also queues same-criteria writers
(KeyedLock), so that they rarely meet at the store.

What differs between stores:

- SQLite: the ``conditional_guard`` table (key PRIMARY KEY), claimed in the write's
  transaction. SQLite serialises writers, across processes too, so a claim is decided
  only after the holder's resource is committed.
- MongoDB with transactions (replica set, mongos): the ``guards`` collection, ``_id``
  the key, claimed in the write's transaction. Two transactions claiming one key
  conflict on that document; the loser is retried by the driver and then fails.
- ``memory://`` (mongomock, no transactions; a standalone MongoDB server is refused
  at ``open``, see below): the claim is written first, then the resource; a write
  whose version check fails after its claim gives the key back. A crash in between
  leaves a key naming a resource that does not exist;
  since a racer also sees that while the holder's write is still in flight, the
  service waits for such a holder before taking its key over.

Exclusive holds (``Holds``) are the guard's idea for many keys that come and go: a
write may carry the set of keys its resource holds once it is stored (a booked
Appointment holds each participant's minutes, ``server.scheduling``). The store makes
the resource's set exactly that, in the write's transaction: keys it no longer names are
released, new ones claimed; a key another resource holds fails the write with
HoldTaken (nothing of it stored) unless that holder is in ``replaceable`` (the writer
checked that holder no longer needs it: cancelled, moved, deleted, or written by a
path that keeps no holds, such as HL7v2 ingest), in which case it is taken over. A
write without ``holds`` leaves its resource's keys as they are. SQLite keeps them in
the ``held_key`` table (key PRIMARY KEY, indexed by holder), MongoDB in the
``held_keys`` collection (``_id`` the key); on ``memory://`` the keys are claimed
before the resource's compare-and-swap and stay if it fails, which leaves keys naming
a resource that does not hold them: a writer meeting such a key finds it stale and
replaces it.

The adapters (``server.storage.sqlite``, ``server.storage.mongo``; one entry point,
``server.storage.factory.store_from_url``) differ beyond the guard too:

- Atomicity. ``Store.write`` is all-or-nothing on SQLite (one transaction, writers
  serialised across processes) and on MongoDB, which runs every write in a
  transaction: ``open`` refuses a ``mongodb://`` server whose ``hello`` shows neither a
  replica set nor a ``mongos`` (StoreUnavailable naming the fix, a one-member replica
  set). Only ``memory://`` (mongomock) is not atomic across documents: each
  write's resource compare-and-swap comes first, then its history entry, then the
  next write, then the ledger entry; a failure or crash part-way leaves the earlier
  documents written (never a wrong current version, possibly a missing history
  entry or ledger entry). A batch that fails with VersionConflict may have applied
  the writes before the one that conflicted.
- Snapshots. A SQLite search (its planning, page and total) reads one snapshot. A
  MongoDB search runs its joins' inner searches, its page and its count as separate
  queries, so a concurrent write can be seen by one and not another.
- Chains and ``_has``. Both follow up to ``MAX_JOIN_DEPTH`` references (the parser
  refuses more). SQLite joins inside one statement, without a cap; MongoDB runs each
  inner search first and continues with the ids it found, and refuses a search whose
  inner search matches more than ``JOIN_LIMIT`` (``server.storage.mongo.search``) with
  QueryTooCostly: an answer is complete or refused, never cut short.
- Size. SQLite stores a body of any size. MongoDB holds at most 16 MiB in one
  document, and a version is two (the resource with its index entries, and its
  history entry), a ledger entry one with its raw message: a write with one too large
  raises DocumentTooLarge before anything is sent. mongomock has no limit of its own;
  the adapter applies MongoDB's.
- The ledger. SQLite replaces a message's entry (writers are serialised, and a
  message is looked up before it is applied). MongoDB keys entries by (sender,
  control id) as a compound ``_id`` and inserts if absent: an entry whose outcome is
  one of ``ACCEPTED_OUTCOMES`` is never replaced, and a write that would replace one
  (another process applied the same message meanwhile) raises LedgerTaken, in the
  write's transaction, so the racer's resources are not written either.
- Failures. SQLite raises StoreUnavailable when its file cannot be opened. MongoDB
  raises it for every driver error: unreachable, failing over, or past ``timeoutMS``
  (every operation is bounded; defaults in ``server.storage.mongo.uri``, overridden by
  the URL's options). Reads and writes go to the primary whatever the URL's
  ``readPreference``.
- Date ranges. Both keep the widest span stored under each date parameter and bound a
  range's ``low`` by it, so the date indexes serve ranges (SQLite ``date_width``,
  MongoDB ``date_widths``). A MongoDB search reads the widths before its query, so a
  concurrent write of a wider value can be missed by that one search.
- Index use. SQLite drives every search from a B-tree range on an ``idx_*`` table
  and probes the others, or walks the type when a lone clause is broad; MongoDB uses
  its compound indexes on ``idx.*`` (``server.storage.mongo.index``), each ending in
  ``_id``; mongomock ignores indexes and scans every document, so ``memory://`` is for
  tests and small demos. ``:contains`` is a substring test (``instr``) on SQLite and an
  escaped ``$regex`` on MongoDB, which scans the parameter's index keys (not the
  documents); ``:missing=true`` on MongoDB tests every document of the type.
- Paging. Both page by keyset on (sort keys..., a tie-breaker), nulls first, with
  opaque cursors; the tie-breaker is the row id on SQLite and the document ``_id`` on
  MongoDB, so a cursor from one store is refused (InvalidCursor) by the other. On
  MongoDB a page in the default order (``_id``) driven by an equality clause reads only
  its own documents from the clause's index; a ``_sort`` on a parameter, or a range
  clause, sorts the matches in memory.
- The outbox. Entries of the outbound HL7v2 feed (``OutboxEntry``) are written by
  ``write`` in the same transaction as the versions they announce, so a write the API
  acknowledged always has its entries, and an entry never announces a version that was
  not stored (``memory://`` writes them last, after the versions). Delivery is
  at-least-once: an entry stays ``pending`` until ``outbox_update`` records its ACK, and
  a sender that stops between the send and that update sends it again. SQLite keeps
  them in the ``hl7_outbox`` table, MongoDB in the ``hl7_outbox`` collection (``_id``
  the entry id); both return a destination's pending entries in id order.
- AuditEvents. Every access writes one, so both keep them apart from the other
  resources (``server.storage.audit_rows``): SQLite in the ``audit_event`` table (a row
  per event), ``audit_link`` (a row per value of its patients, entities and user) and
  the signatures events of one kind share (``server.storage.sqlite.audit_signatures``),
  MongoDB in the ``audit_events`` collection (the resource document's shape, its own
  indexes, no history entries). Every method answers for them as for any type (``write`` stores
  them in the batch's transaction; ``append`` of events alone is one transaction with a
  statement per table; ``search`` takes AuditEvent's narrow parameters, chains from them
  and ``_has`` through them), with these differences: an event keeps its current
  version only (``vread`` of an earlier one is None, its instance history is that
  version); ``history`` of the whole system leaves them out; ``referrers`` does not see
  their references; the export snapshot has no earlier version of an event changed
  since. A database an older fhirport wrote, holding them as resources, has them moved
  on ``open`` (SQLite in the schema upgrade's transaction, MongoDB a batch at a time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from server.value_types import value_type

if TYPE_CHECKING:
    from server.search.index_entries import IndexEntries
    from server.search.query import SearchQuery


class Method(StrEnum):
    """The HTTP verb that produced a version (Bundle.entry.request.method in history)."""

    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


@value_type
class StoredVersion:
    """One version of a resource as the store holds it."""

    resource_type: str
    id: str
    version: int
    last_updated: int  # microseconds since the Unix epoch, UTC
    method: Method
    body: bytes | None  # None for a delete
    # When the change happened in the system it came from: an HL7v2 message's
    # EVN-2/MSH-7, a REST write's own time. A later message with an older event time
    # is stale for this resource; a delete keeps it too, so nothing older undoes it.
    event_time: int | None = None
    # Which HL7v2 field owns each part of the body (server.hl7v2.ingest.ownership),
    # kept beside the body, not in it; opaque to the store.
    owners: bytes | None = None

    @property
    def deleted(self) -> bool:
        return self.method is Method.DELETE


@dataclass(frozen=True, slots=True)
class Guard:
    """A claim on conditional criteria, for the resource of the write that carries it.

    ``key`` identifies the criteria (type included); the claim succeeds if no one holds
    the key yet, or if it names ``expected_holder`` (an id of the same type).
    """

    key: str
    expected_holder: str | None


@dataclass(frozen=True, slots=True)
class Holds:
    """The keys a write's resource holds exclusively once stored (see the module doc).

    ``replaceable`` names holders (``Type/id``) whose keys this write may take over.
    """

    keys: frozenset[str]
    replaceable: frozenset[str] = frozenset()


# A resource a write requires at commit (``Write.requires``): (type, id) while it exists,
# or (type, id, version) while that version is its current one.
Required = tuple[str, str] | tuple[str, str, int]


def requirement_holds(required: Required, deleted: bool | None, version: int | None) -> bool:
    """Whether ``required`` holds of a resource stored as ``deleted`` at ``version``
    (both None: not stored)."""
    if deleted is None or deleted:
        return False
    return len(required) == 2 or required[2] == version


@value_type
class Write:
    """A new version to store if the current version is still ``expected_version``.

    ``expected_version`` 0 means the resource must not exist yet (or exist only
    as a deleted marker whose version is 0: never the case). ``index`` is None for
    a delete, which also removes the resource from search. With a ``guard``, the
    write stores nothing unless its claim succeeds too. With ``holds``, the resource's
    exclusive keys become exactly those (None: they stay as they are).
    """

    version: StoredVersion
    expected_version: int
    index: IndexEntries | None
    guard: Guard | None = None
    holds: Holds | None = None
    # Referential integrity at commit (ReferenceChanged when it no longer holds): the
    # (type, id) of resources that must exist, not deleted, or (type, id, version) that
    # must still be at that version (a Patient whose merges the writer followed); for a
    # deletion, the reference parameters by type (Store.referrers' ``sources``) no
    # current resource may point at it under. Resources the same ``store.write`` writes
    # are left out: the writer checked what it does to them.
    requires: tuple[Required, ...] = ()
    unreferenced: Mapping[str, Sequence[str]] | None = None
    # The version this write replaces, as the writer read it (None: a new resource, or
    # not known): what the outbound feed compares the new one with. Not stored.
    replaces: StoredVersion | None = None


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """Which history to read: of one resource (type and id), one type, or the whole system
    (neither), versions updated at ``since`` or later, ``count`` a page, from ``cursor``."""

    resource_type: str | None
    resource_id: str | None
    since: int | None
    count: int
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """A slice of history, newest first, and where the next slice starts."""

    versions: list[StoredVersion]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of search matches in sort order, cursors to its neighbours, and the total."""

    versions: list[StoredVersion]
    next_cursor: str | None
    previous_cursor: str | None
    total: int | None  # only when the query asked for it


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What happened to one inbound HL7v2 message, kept with the raw message.

    The key is (sender, control_id): MSH-3/MSH-4 and MSH-10. Written in the same
    transaction as the resources the message produced, so a message is either applied
    and recorded, or neither.
    """

    sender: str
    control_id: str
    received: int  # microseconds since the epoch
    message_type: str  # e.g. ADT^A08
    event_time: int | None  # EVN-2 or MSH-7, microseconds
    outcome: str  # applied | duplicate | stale | rejected | failed
    raw: bytes
    touched: tuple[str, ...] = ()  # Type/id references written
    unmapped: tuple[str, ...] = ()  # segments and fields the mapping did not use
    warnings: tuple[str, ...] = ()


# What an outbox entry's status may be: owed, acknowledged AA, refused AE/AR (dead letter).
OUTBOX_STATUSES = ("pending", "sent", "failed")


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One HL7v2 message owed to a destination of the outbound feed (server.hl7v2.outbound).

    ``id`` is unique and begins with ``outbox_time_key`` of the time it was made, so ids
    sort in the order they were made: the delivery order within a destination, and the
    message's control id (MSH-10). The message is built when it is sent, from the
    version it names (``resource_type``/``resource_id``/``version``); ``patient`` is the
    id of the Patient it is about (for ADT^A40, the survivor).
    """

    id: str
    destination: str
    created: int  # microseconds since the epoch
    message_type: str  # e.g. ADT^A04
    resource_type: str
    resource_id: str
    version: int
    patient: str
    status: str = "pending"  # one of OUTBOX_STATUSES
    attempts: int = 0
    last_error: str | None = None  # why the last attempt failed, or the AE/AR ACK's text
    ack: str | None = None  # the ACK that settled it (ER7, segments separated by \r)
    settled: int | None = None  # when it was sent or failed, microseconds


def outbox_time_key(microseconds: int) -> str:
    """How an outbox id made at ``microseconds`` since the epoch begins: 13 hex digits."""
    return f"{microseconds:013x}"


@dataclass(frozen=True, slots=True)
class OutboxQuery:
    """Which outbox entries to list: of a status and destination (None: any), in id order
    after the id ``after``, at most ``count``."""

    status: str | None
    destination: str | None
    count: int
    after: str | None = None


# Outcomes after which the sender must not resend: an entry with one of them is final,
# never replaced (a store that finds one already there raises LedgerTaken).
ACCEPTED_OUTCOMES = frozenset({"applied", "duplicate", "stale"})


class VersionConflict(Exception):
    """The resource's current version is not the one the write expected."""

    def __init__(self, resource_type: str, resource_id: str, current: int) -> None:
        super().__init__(f"{resource_type}/{resource_id} is at version {current}")
        self.current = current


class ReferenceChanged(VersionConflict):
    """A resource a write's ``requires`` names is gone, or one now refers to the resource
    it deletes (``unreferenced``): what the writer checked changed; check again."""

    def __init__(self, resource_type: str, resource_id: str) -> None:
        super().__init__(resource_type, resource_id, 0)
        self.args = (f"{resource_type}/{resource_id} changed since the integrity check",)


class GuardTaken(Exception):
    """A guard's key names another resource than the claim expected.

    ``holder`` is the id it names; None if the key was free again by the time the
    store looked (only a store without transactions gives a key back).
    """

    def __init__(self, key: str, holder: str | None) -> None:
        super().__init__(f"Conditional guard {key} is held by {holder or 'no one now'}")
        self.key = key
        self.holder = holder


class HoldTaken(Exception):
    """A key of a write's ``holds`` is held by another resource (``Type/id``)."""

    def __init__(self, key: str, holder: str) -> None:
        super().__init__(f"{key} is held by {holder}")
        self.key = key
        self.holder = holder


class StoreUnavailable(Exception):
    """The store cannot be reached or opened (bad URL, server down, timed out, failing over).

    Worth retrying later: the API answers 503 with ``Retry-After``.
    """


class DocumentTooLarge(Exception):
    """A version or ledger entry is larger than the store can hold in one document."""

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(
            f"{what} would be a stored document of {size} bytes; "
            f"the store holds at most {limit} bytes ({limit // (1024 * 1024)} MiB) in one"
        )
        self.what = what
        self.size = size
        self.limit = limit


class QueryTooCostly(Exception):
    """A search the store will not run: a join's inner search matches too much."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class LedgerTaken(Exception):
    """A message's ledger entry was recorded as accepted by another writer meanwhile."""

    def __init__(self, sender: str, control_id: str) -> None:
        super().__init__(f"Message {control_id!r} from {sender!r} is already recorded")
        self.sender = sender
        self.control_id = control_id


class Store(Protocol):
    """An async store of versioned FHIR resources."""

    # Whether ``write`` is all-or-nothing across its documents (False: ``memory://``);
    # a transaction Bundle is refused on a store without.
    @property
    def transactions(self) -> bool: ...

    async def open(self) -> None:
        """Connect and create tables/collections and indexes."""

    async def close(self) -> None:
        """Release connections; pending writes are committed first."""

    async def probe(self) -> None:
        """Prove, now, that the store answers a read and commits a write, and that every
        table or collection ``open`` makes exists; StoreUnavailable saying what failed.

        For readiness checks: cheap (no resource is read or written), and a caller bounds
        its time. SQLite takes the write lock and commits an empty transaction on its
        writer thread; MongoDB lists its collections and upserts one document of its own
        collection ``readiness`` with the store's write concern (a primary that cannot
        reach a majority fails here as every write would).
        """

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        """Return the current version (a delete marker if deleted), or None."""

    async def read_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredVersion | None]:
        """Return the current version of each (type, id) key, None for an unknown one.

        One round trip for many reads (the HL7v2 pipeline reads every resource of a
        message at once); every key asked for is in the answer.
        """

    async def vread(
        self, resource_type: str, resource_id: str, version: int
    ) -> StoredVersion | None:
        """Return one version, or None."""

    async def write(
        self,
        writes: Sequence[Write],
        ledger: LedgerEntry | None = None,
        *,
        outbox: Sequence[OutboxEntry] = (),
    ) -> None:
        """Apply all writes (and the ledger entry, and the outbox entries) atomically, or none.

        Raise VersionConflict when a write's expected version is not current,
        GuardTaken when its guard's claim fails, and HoldTaken when one of its holds is
        another resource's.
        """

    async def history(self, query: HistoryQuery) -> HistoryPage:
        """Return versions newest first: of one resource, one type, or the whole system."""

    async def search(self, query: SearchQuery) -> SearchPage:
        """Return one page of the current resources matching a parsed search.

        Raise InvalidCursor for a cursor this store did not issue.
        """

    async def count(self, resource_type: str) -> int:
        """Return how many current, non-deleted resources of a type there are."""

    async def ledger_get(self, sender: str, control_id: str) -> LedgerEntry | None:
        """Return the ledger entry of a message, or None if it was never recorded."""

    async def ledger_counts(self, since: int) -> list[tuple[int, str, int]]:
        """Return how many messages were received since ``since`` (microseconds since the
        epoch) per UTC day and outcome: (the day's first microsecond, outcome, count)."""

    async def ledger_get_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LedgerEntry | None]:
        """Return the entry of each (sender, control id) key, None for one never recorded.

        One round trip for many (``fhirport hl7 verify`` reads an archive's entries in
        batches); every key asked for is in the answer, in the order asked.
        """

    async def append(self, writes: Sequence[Write]) -> None:
        """Store new resources (first versions, without guards) atomically, as ``write``
        would: for batches of the server's own records (the audit trail's), which a
        store may write in fewer statements."""

    async def expunge_before(self, resource_type: str, before: int) -> int:
        """Remove the resources of a type last updated before ``before`` (microseconds),
        every version and index entry of them; return how many resources.

        Not a FHIR delete, which keeps history: retention (the audit trail's) ends it.
        """

    async def referrers(
        self,
        resource_type: str,
        resource_id: str,
        sources: Mapping[str, Sequence[str]],
        limit: int,
    ) -> list[tuple[str, str]]:
        """Return up to ``limit`` current resources (type, id) whose reference index
        entries under ``sources`` (type -> reference parameter codes) point at the
        resource, the resource itself left out (referential integrity's delete check)."""

    async def outbox_due(self, destination: str, limit: int) -> list[OutboxEntry]:
        """Return a destination's first ``limit`` pending outbox entries, in id order."""

    async def outbox_update(self, entries: Sequence[OutboxEntry]) -> None:
        """Record the delivery state (status, attempts, error, ACK) of stored entries."""

    async def outbox_list(self, query: OutboxQuery) -> list[OutboxEntry]:
        """Return outbox entries of a status and destination in id order, after ``after``."""

    async def outbox_purge(self, before: int) -> int:
        """Remove the ``sent`` entries made before ``before`` (microseconds, by their ids);
        return how many. Pending and failed ones (the dead letters) stay."""

    async def outbox_requeue(self, ids: Sequence[str]) -> list[OutboxEntry]:
        """Make the ``failed`` entries among ``ids`` pending again (``outbox_codec.requeued``),
        each only if it is still failed when changed, and return them in id order; ids of
        entries that are unknown or not failed are left alone."""

    async def outbox_depth(self) -> dict[tuple[str, str], int]:
        """Count the ``pending`` and ``failed`` outbox entries by (destination, status),
        from the status index; a pair with none is left out."""

    async def outbox_lease(self, destination: str, owner: str, until: int, now: int) -> bool:
        """Take or renew the lease on delivering ``destination``'s entries, to ``until``
        (microseconds): True when it was free, expired by ``now``, or ``owner``'s already;
        False while another owner holds it."""

    async def outbox_release(self, destination: str, owner: str) -> None:
        """Give the lease on ``destination`` back at once, if ``owner`` holds it."""


class InvalidCursor(ValueError):
    """A paging cursor that this store did not issue (or that was tampered with)."""

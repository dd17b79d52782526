"""What Bulk Data export asks of a store: a snapshot reader and durable job records.

A port of its own beside the resource port (server.storage.port), built on an open
store like the authorization records (server.storage.auth_port); the adapters are
``server.storage.sqlite.bulk`` and ``server.storage.mongo.bulk``, picked by
``server.storage.factory.open_bulk_records``.

The snapshot. An export reads every resource of a type as it was at its
``transactionTime`` T: for each resource, its latest version whose ``last_updated`` is
at or before T, left out when that version is a delete or when there is none (created
after T). Versions of one resource are stamped in increasing time
(server.versions.next_version), and every store keeps every version (the SQLite
``version`` table, the MongoDB ``history`` collection), so a write that lands while
the export runs (an update, a delete, a create) changes nothing the export reads: the
pages agree with one another although each is its own query. What the stamp cannot
order is a write stamped before T and committed after the page holding it was read;
the export starts reading only after a settling delay past T (server.bulk.runner), far
longer than a commit takes. Pages run in the key order of (type, id), by keyset, so
memory stays one page whatever the export's size (on SQLite the reads also go through
a connection of their own without a memory map: a mapped file's pages count as the
process's memory, up to the whole database). History that retention removes
(``Store.expunge_before``, the audit trail's) is gone from the snapshot too.

Job records. A job is a row or document keyed by its id, holding its state and the
job's own JSON (opaque to the store): what was asked, when, by whom, and what it has
written. ``replace`` updates only a job that still exists, so a job cancelled (removed)
while its runner works is never brought back by the runner's next progress update.

Leases. Servers sharing a store run each unfinished job once: a runner first claims the
job's lease (``claim_job``, a compare-and-swap on the record: free, expired, or its own
already), renews it the same way while it runs, and gives it back when it stops
(``release_job``). A runner that dies keeps its lease until it expires; then another
server claims the job and runs it from the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from server.storage.port import StoredVersion


@dataclass(frozen=True, slots=True)
class SnapshotPage:
    """Live versions as of the snapshot, in id order, and where the next page starts."""

    versions: list[StoredVersion]
    next_after: str | None  # the last id looked at; None when the type is done


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One background job as the store keeps it."""

    id: str
    state: str  # accepted | in-progress | completed | failed
    created: int  # microseconds since the epoch
    document: bytes  # the job's JSON, opaque to the store


class BulkRecords(Protocol):
    """The snapshot reader and the job records of one open store."""

    async def prepare(self) -> None:
        """Create the job table or collection and its indexes, if missing."""
        ...

    async def close(self) -> None:
        """Release what the records opened of their own (before the store closes)."""
        ...

    async def read_as_of(
        self, resource_type: str, as_of: int, after: str | None, count: int
    ) -> SnapshotPage:
        """Up to ``count`` resources of the type with ids after ``after``, each as it
        was at ``as_of`` (microseconds); see the module docstring."""
        ...

    async def add_job(self, job: JobRecord) -> None:
        """Keep a new job."""
        ...

    async def replace_job(self, job: JobRecord) -> bool:
        """Update a job that still exists; False when it is gone (cancelled)."""
        ...

    async def job(self, job_id: str) -> JobRecord | None:
        """The job with that id, or None."""
        ...

    async def jobs(self, states: Sequence[str] = ()) -> list[JobRecord]:
        """Every job (or those in ``states``), oldest first."""
        ...

    async def remove_job(self, job_id: str) -> bool:
        """Forget a job; False when there was none."""
        ...

    async def claim_job(self, job_id: str, owner: str, until: int, now: int) -> bool:
        """Take or renew the job's lease for ``owner`` until ``until`` (microseconds), if
        the job exists and its lease is free, expired by ``now``, or ``owner``'s already."""
        ...

    async def release_job(self, job_id: str, owner: str) -> None:
        """Give the job's lease back, if ``owner`` holds it."""
        ...

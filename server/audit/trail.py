"""The audit trail of a running server: queued AuditEvents, group-committed in the background.

Reads must not wait for their audit record, so the events of reads (and of refused
requests) are queued and written by one background task in ``store.append`` batches
at least every ``FLUSH_INTERVAL_S``: a crash loses at most that much, a clean shutdown
(``close``) nothing. Writes do not queue: the resource service stores a write's event in
the write's own batch (``write_event``), so the two commit together. The same task
purges events older than the retention period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from enum import StrEnum
from typing import Final

from server.audit.draft import current_draft
from server.audit.events import (
    REST,
    SECURITY_ALERT,
    Access,
    EventBuilder,
    message_code,
)
from server.audit.requests import request_access
from server.fhir.clock import now_us
from server.interactions import new_id
from server.storage.port import Store, Write

log = logging.getLogger("fhirport.audit")

FLUSH_INTERVAL_S: Final = 0.5
PURGE_INTERVAL_S: Final = 3600.0
_DAY_US: Final = 86_400 * 1_000_000
# Events per store.append: a chunk the store refuses fails alone.
_CHUNK: Final = 512
# Past this many queued events a flush starts at once, and new requests wait until
# it catches up (server.api.request_audit). Above what a flush interval's reads come
# to at full speed, so that requests do not stall on every group commit.
HIGH_WATER: Final = 4096
# Events one flush hands to the store at once, committed as one group: a write of
# another request queued meanwhile at the store's one writer waits for these at most.
_FLUSH_MAX: Final = 2 * HIGH_WATER
_MAX_QUEUED: Final = 100 * HIGH_WATER


class AuditMode(StrEnum):
    """What is audited: every access, only those that change data, or nothing."""

    ALL = "all"
    WRITES = "writes"
    OFF = "off"


class AuditTrail:
    """Records AuditEvents in ``store``: queued (``record``) or with a write (``write_event``)."""

    def __init__(
        self,
        store: Store,
        builder: EventBuilder,
        mode: AuditMode = AuditMode.ALL,
        *,
        retention_days: int = 2190,
        flush_interval: float = FLUSH_INTERVAL_S,
        purge_interval: float = PURGE_INTERVAL_S,
    ) -> None:
        self.store = store
        self.builder = builder
        self.mode = mode
        self.retention_days = retention_days
        self.flush_interval = flush_interval
        self.purge_interval = purge_interval
        self._queue: list[Access] = []
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._task: asyncio.Task[None] | None = None
        self._purger: asyncio.Task[None] | None = None

    @property
    def backlog(self) -> int:
        """Access records waiting for the next group commit."""
        return len(self._queue)

    @property
    def active(self) -> bool:
        """Whether anything is audited at all."""
        return self.mode is not AuditMode.OFF

    def wants(self, action: str) -> bool:
        """Whether an access with this AuditEvent.action is audited in this mode."""
        if self.mode is AuditMode.ALL:
            return True
        return self.mode is AuditMode.WRITES and action != "R"

    def record(self, access: Access) -> None:
        """Queue an access for the next group commit (if the mode audits it)."""
        if not self.wants(access.action):
            return
        self._queue.append(access)
        if len(self._queue) >= HIGH_WATER:
            self._room.clear()
            self._wake.set()

    async def room(self) -> None:
        """Return once the queue is below its high-water mark (at once, usually)."""
        if not self._room.is_set():
            await self._room.wait()

    def write_event(self, access: Access) -> Write | None:
        """The Write of an access's event, for the caller's own ``store.write`` batch."""
        if not self.wants(access.action):
            return None
        return self.builder.write(access, new_id())

    def request_write(self, write: Write) -> Write | None:
        """The event of the request being served, for the batch of the write it makes.

        The resource service's hook: the event commits with the write, or neither does.
        The draft is marked, so the answer adds no second event (unless it is a failure:
        then the write did not commit and the middleware records that).
        """
        draft = current_draft.get()
        if draft is None or draft.written:
            return None
        access = request_access(draft, 200)
        version = write.version
        written = f"{version.resource_type}/{version.id}"
        access = replace(
            access,
            entities=tuple(dict.fromkeys((*access.entities, written))),
            returned=(version,) if version.body is not None else (),
        )
        event = self.write_event(access)
        draft.written = event is not None
        return event

    def security_event(
        self,
        *,
        sender: str,
        message_type: str | None,
        reason: str,
        address: str | None = None,
        subject: str | None = None,
    ) -> None:
        """Record a refused HL7v2 sender or connection (outcome 4, a Security Alert)."""
        subtypes = (message_code(message_type),) if message_type else ()
        self.record(
            Access(
                recorded=now_us(),
                type=SECURITY_ALERT,
                subtypes=subtypes,
                action="E",
                outcome="4",
                client=sender or subject,
                address=address,
                description=reason,
            )
        )

    def message_event(
        self,
        *,
        sender: str,
        message_type: str,
        outcome: str,
        address: str | None = None,
        entities: tuple[str, ...] = (),
        patients: tuple[str, ...] = (),
        description: str | None = None,
    ) -> None:
        """Record an HL7v2 message received over MLLP (type rest, subtype its event)."""
        self.record(
            Access(
                recorded=now_us(),
                type=REST,
                subtypes=(message_code(message_type),),
                action="E",
                outcome=outcome,
                client=sender,
                address=address,
                entities=entities,
                patients=patients,
                description=description,
            )
        )

    async def start(self) -> None:
        """Start the background commits (and the retention purge)."""
        if self.mode is AuditMode.OFF:
            return
        self._task = asyncio.create_task(self._run(), name="audit-flush")
        if self.retention_days > 0:
            self._purger = asyncio.create_task(self._purge_loop(), name="audit-purge")

    async def close(self) -> None:
        """Stop the background tasks and commit what is queued."""
        for task in (self._task, self._purger):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._purger = None
        await self.flush()

    async def flush(self) -> int:
        """Commit every queued event now, a chunk per store.append; return how many.

        The chunks of one flush are handed to the store together, so its writer commits
        them as one group (one fsync), not one commit and one round trip through the
        event loop per chunk; they are built a chunk at a time, letting the answers
        waiting meanwhile go out.
        """
        done = 0
        while self._queue:
            taken = self._queue[:_FLUSH_MAX]
            del self._queue[:_FLUSH_MAX]
            chunks = [taken[i : i + _CHUNK] for i in range(0, len(taken), _CHUNK)]
            built: list[list[Write]] = []
            for chunk in chunks:
                built.append([self.builder.write(access, new_id()) for access in chunk])
                await asyncio.sleep(0)
            outcomes = await asyncio.gather(
                *(self.store.append(writes) for writes in built), return_exceptions=True
            )
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            if errors:
                # The store is down or failing: the events wait for the next tick, up
                # to a bound past which the newest are dropped (and the log says so).
                lost = [
                    a for c, o in zip(chunks, outcomes, strict=True) if o is not None for a in c
                ]
                log.error("Audit: %d events not committed", len(lost), exc_info=errors[0])
                self._queue[:0] = lost
                del self._queue[_MAX_QUEUED:]
                raise errors[0]
            done += len(taken)
            if len(self._queue) < HIGH_WATER:
                self._room.set()
        self._room.set()
        return done

    async def purge(self, now: int | None = None) -> int:
        """Remove the AuditEvents recorded before the retention period; return how many."""
        cutoff = (now if now is not None else now_us()) - self.retention_days * _DAY_US
        return await self.store.expunge_before("AuditEvent", cutoff)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            self._wake.clear()
            with contextlib.suppress(Exception):  # logged by flush; retried next tick
                await self.flush()

    async def _purge_loop(self) -> None:
        while True:
            try:
                purged = await self.purge()
            except Exception:
                log.exception("Audit: retention purge failed")
            else:
                if purged:
                    log.info("Audit: %d events past retention purged", purged)
            await asyncio.sleep(self.purge_interval)

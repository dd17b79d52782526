"""The outbound feed's sender: a background task per destination, delivering its outbox.

Each destination's pending entries go in id order (the order their writes committed in
this process, so per patient the order of its versions) over one MLLP connection, one
message at a time, each waiting for its ACK (or, with a ``window``, up to that many on
the wire, their ACKs read in order):

- AA settles the entry as ``sent``; AE or AR as ``failed`` (the dead letters), with the
  ACK kept, and the next entry goes on.
- No answer (refused, reset, timed out, a TLS failure, an answer that is not an ACK):
  the entry stays pending with its attempt counted and the reason kept, the connection
  is dropped, and the destination is tried again after a delay that doubles from
  ``retry_initial`` up to ``retry_max``. Nothing behind it overtakes it.

Servers sharing a store deliver each destination from one of them at a time: the one
holding the destination's lease (``Store.outbox_lease``), which it renews while it runs
and gives back when it stops. It sends nothing in the last part of its lease (the time
the ACKs of what is on the wire may take, and the recording of their state), so what
it sent is recorded before another server may take the lease over. A killed server's
lease expires, and another server delivers its pending entries then.

Delivery is at least once: an entry whose ACK arrived but whose state was not yet
recorded (the server stopped in between) is sent again after a restart, with the same
control id (MSH-10), so the receiver can tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import ssl
import uuid
from collections import deque
from typing import Final

from hl7.er7 import ParseError, parse
from hl7.mllp_client import MllpConnection
from server.fhir.clock import now_us
from server.hl7v2.outbound.config import Destination, OutboundFeed
from server.hl7v2.outbound.lease import Lease
from server.hl7v2.outbound.messages import MessageBuilder, Unbuildable
from server.storage.port import OutboxEntry, Store

log = logging.getLogger("fhirport.hl7.outbound")

_BATCH: Final = 200  # entries read, sent and then recorded at a time
# Entries written by another process wake no one here: look at least this often.
_POLL_S: Final = 1.0
_DELIVERY_ERRORS = (OSError, ConnectionError, TimeoutError, ssl.SSLError, EOFError)
_KEPT_ACK_CHARS: Final = 64 << 10  # an ACK is a few segments; keep no more than this
_PURGE_EVERY_S: Final = 3600.0
_DAY_US: Final = 86_400_000_000


class NoAck(Exception):
    """The answer is not an acknowledgement of the message sent."""


def _ack(answer: bytes, control_id: str) -> tuple[str, str]:
    """MSA-1 and a readable reason (MSA-3 and the ERRs' texts) of an answer."""
    try:
        message = parse(answer)
    except ParseError as exc:
        raise NoAck(f"the answer cannot be read: {exc}") from None
    msa = message.segment("MSA")
    if msa is None:
        raise NoAck("the answer has no MSA segment")
    if msa.get(2) != control_id:
        raise NoAck(f"the answer acknowledges {msa.get(2)!r}, not {control_id!r}")
    texts = [msa.get(3), *(err.get(8) or err.get(3, 2) for err in message.segments_named("ERR"))]
    return msa.get(1).upper(), "; ".join(t for t in texts if t)


def _text(answer: bytes) -> str:
    return answer.decode("utf-8", errors="replace")[:_KEPT_ACK_CHARS]


class DestinationSender:
    """Delivers one destination's outbox until cancelled, while it holds the lease."""

    def __init__(
        self,
        store: Store,
        feed: OutboundFeed,
        destination: Destination,
        builder: MessageBuilder,
        owner: str,
    ) -> None:
        self.store = store
        self.feed = feed
        self.destination = destination
        self.builder = builder
        self.lease = Lease(store, destination, owner, feed.lease)
        self.wake = asyncio.Event()
        self._connection: MllpConnection | None = None
        self._delay = feed.retry_initial

    async def run(self) -> None:
        try:
            while True:
                try:
                    if not await self.lease.hold():
                        await self._disconnect()
                        await asyncio.sleep(self.lease.standby_s)
                        continue
                    delivered = await self._round()
                except Exception:
                    # The store failing (unreachable, failing over) must not end the feed.
                    log.exception("HL7v2 outbound to %s failed", self.destination.name)
                    delivered = False
                if not delivered:
                    await asyncio.sleep(self._delay)
                    self._delay = min(self._delay * 2, self.feed.retry_max)
        finally:
            await self._disconnect()
            await self.lease.release()

    async def _round(self) -> bool:
        """Deliver what is due (or wait for something to be); False when it stopped short."""
        self.wake.clear()  # before the read: a commit after it wakes the wait below
        due = await self.store.outbox_due(self.destination.name, _BATCH)
        if not due:
            await self._idle()
            return True
        return await self._deliver(due)

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_POLL_S):
                await self.wake.wait()

    async def _deliver(self, due: list[OutboxEntry]) -> bool:
        """Send entries in order until one gets no answer; False then.

        Up to ``window`` messages are on the wire before their ACKs are read; the
        receiver answers in order, so the ACKs are read in the order of ``due``.
        """
        settled: list[OutboxEntry] = []
        waiting: deque[OutboxEntry] = deque()  # sent (or being sent), ACK not read yet
        built = await self.builder.build_many(due, self.destination)
        try:
            for entry, message in zip(due, built, strict=True):
                if not self.lease.sending():
                    break  # the rest waits for the lease's renewal
                if isinstance(message, Unbuildable):
                    settled.append(self._settle(entry, "failed", f"Not sent: {message}", None, 0))
                    continue
                waiting.append(entry)
                async with asyncio.timeout(self.destination.timeout):
                    await (await self._connect()).send(message)
                if len(waiting) >= self.destination.window:
                    settled.append(await self._answer(waiting))
            while waiting:
                settled.append(await self._answer(waiting))
        except (*_DELIVERY_ERRORS, NoAck) as exc:
            self._undelivered(waiting, str(exc) or type(exc).__name__, settled)
            await self._disconnect()
            return False
        finally:
            await self.store.outbox_update(settled)
        self._delay = self.feed.retry_initial
        return True

    def _undelivered(
        self, waiting: deque[OutboxEntry], reason: str, settled: list[OutboxEntry]
    ) -> None:
        """Count an attempt, with its reason, for each entry sent and not acknowledged."""
        log.warning(
            "HL7v2 outbound to %s: %s not delivered (%s); retrying in %.1f s",
            self.destination.name,
            waiting[0].id,
            reason,
            self._delay,
        )
        for entry in waiting:
            settled.append(
                dataclasses.replace(entry, attempts=entry.attempts + 1, last_error=reason[:1000])
            )

    async def _answer(self, waiting: deque[OutboxEntry]) -> OutboxEntry:
        """Read the ACK of the first entry waiting and return that entry settled."""
        entry = waiting[0]
        async with asyncio.timeout(self.destination.timeout):
            answer = await (await self._connect()).receive()
        code, reason = _ack(answer, entry.id)
        if code in ("AA", "CA"):
            settled = self._settle(entry, "sent", None, _text(answer))
        elif code in ("AE", "AR", "CE", "CR"):
            settled = self._settle(entry, "failed", f"{code}: {reason}", _text(answer))
        else:
            raise NoAck(f"MSA-1 {code!r} is no acknowledgement code")
        waiting.popleft()
        return settled

    @staticmethod
    def _settle(
        entry: OutboxEntry, status: str, error: str | None, ack: str | None, attempts: int = 1
    ) -> OutboxEntry:
        return dataclasses.replace(
            entry,
            status=status,
            attempts=entry.attempts + attempts,
            last_error=error,
            ack=ack,
            settled=now_us(),
        )

    async def _connect(self) -> MllpConnection:
        if self._connection is None:
            destination = self.destination
            self._connection = await MllpConnection.open(
                destination.host,
                destination.port,
                ssl=destination.tls,
                server_hostname=destination.server_hostname,
            )
        return self._connection

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*_DELIVERY_ERRORS):
                await connection.close()


class OutboundSender:
    """The feed's background tasks, one per destination and one purging what was sent long
    ago; ``notify`` after a commit."""

    def __init__(self, store: Store, feed: OutboundFeed, builder: MessageBuilder) -> None:
        self.store = store
        self.feed = feed
        owner = uuid.uuid4().hex  # whose leases: this server's
        self.senders = [
            DestinationSender(store, feed, d, builder, owner) for d in feed.destinations
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def notify(self) -> None:
        """Entries were committed: look now rather than at the next poll."""
        for sender in self.senders:
            sender.wake.set()

    async def start(self) -> None:
        """Start delivering (pending entries of an earlier run first)."""
        self._tasks = [
            asyncio.create_task(s.run(), name=f"hl7-outbound-{s.destination.name}")
            for s in self.senders
        ]
        if self.feed.keep_sent_days > 0:
            self._tasks.append(asyncio.create_task(self._purge(), name="hl7-outbound-purge"))

    async def _purge(self) -> None:
        """Remove sent entries past ``keep_sent_days``, at start and then every hour."""
        kept = int(self.feed.keep_sent_days * _DAY_US)
        while True:
            try:
                removed = await self.store.outbox_purge(now_us() - kept)
            except Exception:
                log.exception("Cannot purge the HL7v2 outbox")
            else:
                if removed:
                    log.info("Purged %d sent HL7v2 outbox entries", removed)
            await asyncio.sleep(_PURGE_EVERY_S)

    async def close(self) -> None:
        """Stop delivering; what is not settled stays pending for the next run."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

"""A server's lease on delivering one destination of the outbound feed.

Servers sharing a store (processes on one SQLite file, or on one MongoDB) each run a
sender; the one holding a destination's lease (``Store.outbox_lease``) delivers it
(server.hl7v2.outbound.delivery).
"""

from __future__ import annotations

import contextlib

from server.fhir.clock import now_us
from server.hl7v2.outbound.config import Destination
from server.storage.port import Store


class Lease:
    """This server's hold on delivering one destination (see server.hl7v2.outbound.delivery).

    ``margin`` is the time (µs) kept at the end of the lease for what is on the wire to
    be acknowledged and recorded: at least the ACK timeouts of a full window.
    """

    def __init__(self, store: Store, destination: Destination, owner: str, seconds: float):
        self.store = store
        self.destination = destination.name
        self.owner = owner
        self.margin = int((destination.timeout * destination.window + 1.0) * 1_000_000)
        self.length = max(int(seconds * 1_000_000), 3 * self.margin)
        self.until = 0

    async def hold(self) -> bool:
        """Whether this server holds the lease, renewed once a third of it has run."""
        now = now_us()
        if self.until - now > self.length * 2 // 3:
            return True
        taken = await self.store.outbox_lease(self.destination, self.owner, now + self.length, now)
        self.until = now + self.length if taken else 0
        return taken

    def sending(self) -> bool:
        """Whether a message may still go out before the lease's last part."""
        return now_us() < self.until - self.margin

    @property
    def standby_s(self) -> float:
        """How often a server without the lease asks for it again."""
        return self.length / 3_000_000

    async def release(self) -> None:
        """Give the lease back, so that another server takes over at once (asked even when
        this server thinks it holds none: a stop may have cut short the taking of one)."""
        self.until = 0
        with contextlib.suppress(Exception):
            await self.store.outbox_release(self.destination, self.owner)

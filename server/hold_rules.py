"""Hold rules: a type's exclusive holds on client writes, and how a write is stored with them.

A hold rule (an Appointment's booking, a Claim's scrub) runs on every client write of
its type, REST and transaction entries alike, after the type's write rule
(``server.interactions.WriteRule``); ``store_held`` is how a single write goes through
one, and the transaction planner runs the same ``plan``/``settle`` per entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import orjson

from server.errors import Conflict
from server.storage.port import Holds, HoldTaken, StoredVersion, Write

# How a hold rule's resource is stored: builds the next version with the holds given (None:
# the resource's keys stay as they are) and writes it (HoldTaken when a key is another's),
# with the plan's other versions (``HoldPlan.more``) in the same atomic batch.
Attempt = Callable[[Holds | None, Sequence[Write]], Awaitable[StoredVersion]]


class HoldPlan(Protocol):
    """What a hold rule asks the store for: its resource's exclusive keys (None: unchanged)."""

    @property
    def holds(self) -> Holds | None: ...

    # Versions the rule writes with the resource, in its batch (an Appointment's Slots).
    @property
    def more(self) -> Sequence[Write]: ...


class HoldRule(Protocol):
    """A type's exclusive holds (server.storage.port.Holds), run on client writes after its
    write rule, REST and transaction entries alike. ``plan`` checks what it must (it may
    search, and complete the resource), and says which keys to ask for; the resource is
    stored with them, and a key the store refuses (HoldTaken) goes to ``settle``, which
    asks again (a holder that no longer needs the key made replaceable) or raises a
    FhirError (409) to refuse the write. ``plan`` may refuse too (409, 422).
    Appointments (server.scheduling.BookingRule) hold minutes so as not to double-book;
    Claims (server.scrub.ScrubOnWrite) are scrubbed and hold nothing."""

    async def plan(self, resource_id: str, resource: dict[str, Any]) -> HoldPlan: ...

    async def settle(self, plan: Any, taken: HoldTaken) -> HoldPlan: ...

    # What a delete of the resource (its current content) writes with it, in its batch
    # (a deleted booking frees its Slots as a cancellation would).
    async def released(self, resource_id: str, current: dict[str, Any]) -> Sequence[Write]: ...


@runtime_checkable
class MovedByMerges(Protocol):
    """A hold rule whose resources a merge of Patients moves as they are (HL7v2 ADT^A40,
    ``Patient/$merge``): ``moved`` says the holds the moved resources ask for, by id,
    from each one's (id, content, previous content), without refusing any (one left
    out keeps its keys as they are); a refused key goes to the rule's ``settle`` as a
    write's does."""

    async def moved(
        self, moved: Sequence[tuple[str, dict[str, Any], dict[str, Any] | None]]
    ) -> Mapping[str, HoldPlan]: ...


# How many refused keys one write settles before it gives up (409, retry).
MAX_SETTLES = 16


async def store_held(
    rule: HoldRule, resource_id: str, resource: dict[str, Any], attempt: Attempt
) -> StoredVersion:
    """Store a resource through ``attempt`` with the holds ``rule`` plans, settling refusals."""
    plan = await rule.plan(resource_id, resource)
    for _ in range(MAX_SETTLES):
        try:
            return await attempt(plan.holds, plan.more)
        except HoldTaken as taken:
            plan = await rule.settle(plan, taken)
    raise Conflict(f"{resource_id} is contended by other writers; retry")


class Releases:
    """What the hold rules write with deletions (``HoldRule.released``), gathered for one
    batch: one write per resource, none to a resource the batch writes itself (a Slot a
    cascade deletes with its Appointment stays deleted)."""

    def __init__(self, rules: Mapping[str, HoldRule], written: Collection[tuple[str, str]]) -> None:
        self.rules = rules
        self.taken = set(written)
        self.writes: list[Write] = []

    async def add(self, current: StoredVersion) -> None:
        """Add what the rule of ``current``'s type writes when it is deleted."""
        rule = self.rules.get(current.resource_type)
        if rule is None or current.body is None:
            return
        for write in await rule.released(current.id, orjson.loads(current.body)):
            key = (write.version.resource_type, write.version.id)
            if key not in self.taken:
                self.taken.add(key)
                self.writes.append(write)

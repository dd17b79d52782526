"""HL7v2-ingested Appointments (SIU) booked as a client's are.

A message's Appointment goes through the Appointment hold rule that REST and
transaction writes run (server.hold_rules.HoldRule, server.scheduling.BookingRule): a
busy one that overlaps another busy Appointment of one of its participants is refused
(the message is answered AE with ERR and kept in the ledger, nothing of it stored); it
holds its participants' minutes and its Slots' keys; its Slots are made busy or freed
in the message's batch; an S17 deletion frees them as a REST delete does. The other
types a message writes run no client rule: what the sending system recorded stands (a
DFT's Claim is not scrubbed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, Protocol

import orjson

from server.errors import Conflict, FhirError
from server.hl7v2.ingest.model import Failure, Outcome
from server.hold_rules import MAX_SETTLES, HoldPlan, HoldRule, MovedByMerges
from server.planned_versions import planned
from server.storage.port import HoldTaken, StoredVersion, Write

HELD_TYPE = "Appointment"


class _Change(Protocol):
    @property
    def writes(self) -> bool: ...


class PlannedWrite(Protocol):
    """What the ingest plan says of one resource (server.hl7v2.ingest.plan.PlannedResource)."""

    @property
    def resource_type(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def body(self) -> dict[str, Any] | None: ...

    @property
    def current(self) -> StoredVersion | None: ...

    @property
    def change(self) -> _Change: ...


class IngestedBookings:
    """One attempt at a message's Appointment writes under the Appointment hold rule."""

    def __init__(self, rules: Mapping[str, HoldRule]) -> None:
        """``rules``: the client writes' hold rules, by type (of which only HELD_TYPE's runs)."""
        self.rule = rules.get(HELD_TYPE)
        self.plans: dict[str, HoldPlan] = {}  # Appointment/id -> its holds
        self.released: dict[str, tuple[Write, ...]] = {}  # by a deleted Appointment
        self.moving: set[str] = set()  # Appointment/id a merge moves, with its holds

    async def plan(self, items: Iterable[PlannedWrite]) -> None:
        """Run the rule on the Appointments the message writes; FhirError if it refuses."""
        if self.rule is None:
            return
        for item in items:
            if item.resource_type != HELD_TYPE or not item.change.writes:
                continue
            reference = f"{HELD_TYPE}/{item.id}"
            if item.body is not None:
                # The rule reads the Appointment's current version: the one the plan read,
                # which the write expects (a newer one fails the write, and the message is
                # planned again), so not read from the store a second time.
                with planned({(HELD_TYPE, item.id): item.current}):
                    self.plans[reference] = await self.rule.plan(item.id, item.body)
            elif item.current is not None and item.current.body is not None:
                current = orjson.loads(item.current.body)
                self.released[reference] = tuple(await self.rule.released(item.id, current))

    async def moved(self, items: Iterable[PlannedWrite]) -> None:
        """A merge's Appointments, moved as they are (no double-booking refused): their
        holds re-keyed to the survivor (server.hold_rules.MovedByMerges)."""
        if not isinstance(self.rule, MovedByMerges):
            return
        moved = []
        for item in items:
            if item.resource_type != HELD_TYPE or not item.change.writes or item.body is None:
                continue
            stored = item.current.body if item.current is not None else None
            moved.append((item.id, item.body, orjson.loads(stored) if stored else None))
        for appointment_id, plan in (await self.rule.moved(moved)).items():
            self.plans[f"{HELD_TYPE}/{appointment_id}"] = plan
            self.moving.add(f"{HELD_TYPE}/{appointment_id}")

    def writes(self, writes: Mapping[str, Write]) -> list[Write]:
        """The message's writes with the Appointments' holds, then what the rule writes with
        them (Slots, waitlist offers), except to resources the message writes itself."""
        stored: list[Write] = []
        more: list[Write] = []
        for reference, write in writes.items():
            plan = self.plans.get(reference)
            if plan is not None:
                if plan.holds is not None:
                    write = replace(write, holds=plan.holds)
                more += plan.more
            more += self.released.get(reference, ())
            stored.append(write)
        # A store without transactions (memory://) applies a batch in its order: the moved
        # Appointments go first, so a key refused to them leaves the merge unwritten.
        stored.sort(key=lambda w: "/".join(_key(w)) not in self.moving)
        written = {_key(w) for w in stored}
        for write in more:
            if _key(write) not in written:
                written.add(_key(write))
                stored.append(write)
        return stored

    async def commit(
        self, writes: Mapping[str, Write], store: Callable[[list[Write]], Awaitable[None]]
    ) -> None:
        """Store ``writes`` through ``store``, asking the rule again for a refused key;
        FhirError (409) when the rule refuses."""
        for _ in range(MAX_SETTLES):
            try:
                await store(self.writes(writes))
                return
            except HoldTaken as taken:
                await self._settle(taken)
        raise Conflict("The appointment's times are contended by other writers; send it again")

    async def _settle(self, taken: HoldTaken) -> None:
        assert self.rule is not None  # only a rule's plan asks for keys
        for reference, plan in self.plans.items():
            if plan.holds is not None and taken.key in plan.holds.keys:
                self.plans[reference] = await self.rule.settle(plan, taken)
                return
        raise taken


def refusal(error: FhirError) -> Failure:
    """The AE failure of a message whose Appointment the booking rule refused."""
    where = "; ".join(
        f"{'/'.join(issue.expression) or '-'}: {issue.diagnostics}" for issue in error.issues
    )
    return Failure(Outcome.FAILED, f"The appointment cannot be booked: {where}")


def _key(write: Write) -> tuple[str, str]:
    return write.version.resource_type, write.version.id

"""A transaction's exclusive holds: a key the store refused one entry's write, settled.

Each entry whose type has a hold rule (server.hold_rules.HoldRule: booked
Appointments) asked for its keys when it was planned, and all of them go to the store
in the transaction's one write. A refused key (HoldTaken) is settled as a single write
settles it, by that entry's rule: the holder still needs it (409, the transaction fails,
naming the entry) or the key is taken over; the same writes are then stored again.
A key held by another resource of the same transaction is the transaction's own
business: taken over if that resource lets it go in this transaction (deleted, or
written with other keys), else two entries want one key (409).
"""

from __future__ import annotations

from dataclasses import replace

from server.errors import Conflict
from server.storage.port import Holds, HoldTaken
from server.transactions.errors import about
from server.transactions.plan import Held, Plan


def _holder_of(plan: Plan, taken: HoldTaken) -> int | None:
    """The position of the write that asked for the refused key."""
    for position in plan.held:
        holds = plan.writes[position].holds
        if holds is not None and taken.key in holds.keys:
            return position
    return None


def _releases(plan: Plan, holder: str, key: str) -> bool | None:
    """Whether this transaction's write of ``holder`` lets ``key`` go (deletes it, or
    holds other keys); None when the transaction does not write ``holder``."""
    for write in plan.writes:
        version = write.version
        if f"{version.resource_type}/{version.id}" == holder:
            return version.deleted or (write.holds is not None and key not in write.holds.keys)
    return None


async def settle(plan: Plan, taken: HoldTaken) -> None:
    """Make ``plan``'s writes ask again after the store refused ``taken``; 409 if they may not."""
    position = _holder_of(plan, taken)
    if position is None:
        raise taken
    held: Held = plan.held[position]
    write = plan.writes[position]
    assert write.holds is not None
    releases = _releases(plan, taken.holder, taken.key)
    with about(held.entry):
        if releases is None:
            held.plan = await held.rule.settle(held.plan, taken)
            holds = held.plan.holds
            if holds is not None:
                holds = Holds(holds.keys, holds.replaceable | write.holds.replaceable)
        elif releases:
            holds = Holds(write.holds.keys, write.holds.replaceable | {taken.holder})
        else:
            raise Conflict(f"{taken.holder}, written in this transaction too, needs {taken.key}")
    plan.writes[position] = replace(write, holds=holds)

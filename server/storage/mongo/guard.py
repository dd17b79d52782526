"""Conditional-write guards in MongoDB: one document per key in ``guards``, ``_id`` the key."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from server.storage.port import Guard


class ClaimRefused(Exception):
    """The key names someone else; who is looked up after the transaction has ended."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def claim_guard(
    guards: Any, guard: Guard, resource_type: str, holder: str, session: Any
) -> None:
    """Name ``holder`` under the guard's key if it is free or names the expected holder.

    One upsert: a free key is inserted, a key naming the expected holder is updated,
    and any other holder makes the upsert's insert collide on ``_id``.
    """
    try:
        await guards.update_one(
            {"_id": guard.key, "id": guard.expected_holder},
            {"$set": {"type": resource_type, "id": holder}},
            upsert=True,
            session=session,
        )
    except DuplicateKeyError:
        raise ClaimRefused(guard.key) from None


async def give_back(guards: Any, guard: Guard, holder: str) -> None:
    """Undo a claim whose resource was not written (a store without transactions)."""
    if guard.expected_holder is None:
        await guards.delete_one({"_id": guard.key, "id": holder})
    else:
        await guards.update_one(
            {"_id": guard.key, "id": holder}, {"$set": {"id": guard.expected_holder}}
        )


async def holder_of(guards: Any, key: str) -> str | None:
    """The id a key names now, or None if it is free."""
    doc = await guards.find_one({"_id": key})
    return None if doc is None else str(doc["id"])

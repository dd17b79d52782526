"""Exclusive holds in MongoDB: the ``held_keys`` collection, ``_id`` the key (see the port)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from server.storage.port import Holds, HoldTaken

COLLECTION = "held_keys"
INDEXES = [([("holder", ASCENDING)], False)]

_DUPLICATE_KEY = 11000


class HoldRefused(Exception):
    """A key was inserted by another writer meanwhile; who holds it is looked up after."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def apply_holds(held: Any, holds: Holds, holder: str, session: Any) -> None:
    """Make ``holder``'s keys exactly ``holds.keys``, or raise HoldTaken naming another's.

    Looked at before anything is written: in a transaction a failed insert aborts it.
    Keys go in sorted order, so two writers wanting some of the same keys meet first
    at the same one, and only one of them goes on.
    """
    keys = sorted(holds.keys)
    replaced: list[str] = []
    if keys:
        async for doc in held.find({"_id": {"$in": keys}}, session=session):
            other = doc["holder"]
            if other == holder:
                continue
            if other not in holds.replaceable:
                raise HoldTaken(doc["_id"], other)
            replaced.append(doc["_id"])
    await held.delete_many({"holder": holder}, session=session)
    if replaced:
        await held.delete_many(
            {"_id": {"$in": replaced}, "holder": {"$in": sorted(holds.replaceable)}},
            session=session,
        )
    if not keys:
        return
    try:
        await held.insert_many(
            [{"_id": key, "holder": holder} for key in keys], ordered=True, session=session
        )
    except DuplicateKeyError as error:
        refused = _first_key(error.details)
    except BulkWriteError as error:
        failures = error.details.get("writeErrors", [])
        if not failures or failures[0].get("code") != _DUPLICATE_KEY:
            raise
        refused = str(failures[0].get("op", {}).get("_id", keys[0]))
    else:
        return
    if session is None:  # no transaction to undo the keys inserted before the refused one
        await held.delete_many({"_id": {"$in": keys}, "holder": holder})
    raise HoldRefused(refused)


def _first_key(details: Any) -> str:
    key = (details or {}).get("keyValue", {}).get("_id")
    return str(key) if key is not None else ""


async def holder_of(held: Any, key: str) -> str:
    """The holder a key names now ("" if it is free again)."""
    doc = await held.find_one({"_id": key})
    return "" if doc is None else str(doc["holder"])

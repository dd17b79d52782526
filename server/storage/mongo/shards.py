"""How to shard the MongoDB store: a shard key per large collection, and what it allows.

- ``resources``: ``{_id: "hashed"}``. ``_id`` is ``Type/id``; reads and compare-and-swap
  writes name it, so they reach one shard; searches go to every shard. Its other
  indexes are not unique, which a shard key would forbid otherwise.
- ``history``: ``{type: 1, id: 1}``. The unique index ``{type, id, version}`` starts
  with it, as a unique index on a sharded collection must; one resource's history
  stays on one shard.
- ``hl7_ledger`` and ``guards``: ``{_id: "hashed"}``; the only unique key is ``_id``,
  which routes each entry or claim to one shard, so ``_id`` stays unique.
- ``date_widths`` (a few small documents) stays unsharded on the primary shard.

Every collection exists before any transaction (``schema.create_collections``), as a
sharded cluster requires.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pymongo import HASHED

from server.storage.mongo.errors import driver_errors


@dataclass(frozen=True, slots=True)
class ShardKey:
    """One collection's shard key."""

    collection: str
    key: dict[str, Any]

    @property
    def hashed(self) -> bool:
        return HASHED in self.key.values()


SHARD_PLAN = (
    ShardKey("resources", {"_id": HASHED}),
    ShardKey("history", {"type": 1, "id": 1}),
    ShardKey("hl7_ledger", {"_id": HASHED}),
    ShardKey("guards", {"_id": HASHED}),
)


def shard_commands(database: str) -> list[str]:
    """The ``mongosh`` commands that shard the store's collections in ``database``."""
    return [
        f'sh.shardCollection("{database}.{shard.collection}", {json.dumps(shard.key)})'
        for shard in SHARD_PLAN
    ]


async def create_shard_key_indexes(database: Any) -> None:
    """Create the hashed indexes the shard keys need (history's is its unique index)."""
    for shard in SHARD_PLAN:
        if shard.hashed:
            await database[shard.collection].create_index(list(shard.key.items()))


async def prepare_for_sharding(url: str) -> None:
    """Open the store at ``url`` (every collection and index made) and add the shard keys'."""
    from server.storage.mongo.store import MongoStore  # the store imports this module's peers

    store = MongoStore(url)
    await store.open()
    try:
        async with driver_errors("create the shard key indexes"):
            await create_shard_key_indexes(store.conn.database)
    finally:
        await store.close()

"""The current resources whose reference index entries point at one resource."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


async def find_referrers(
    resources: Any,
    target: tuple[str, str],
    sources: Mapping[str, Sequence[str]],
    limit: int,
    session: Any = None,
) -> list[tuple[str, str]]:
    """Up to ``limit`` (type, id) of live resources referring to ``target`` under ``sources``.

    One branch per source type, each served by the (type, idx.r.p, idx.r.i) index.
    """
    branches = [
        {
            "type": source,
            "idx.r": {"$elemMatch": {"p": {"$in": list(codes)}, "i": target[1], "t": target[0]}},
        }
        for source, codes in sources.items()
        if codes
    ]
    if not branches:
        return []
    query = {"$or": branches, "deleted": False, "_id": {"$ne": f"{target[0]}/{target[1]}"}}
    found: list[tuple[str, str]] = []
    async for doc in resources.find(query, {"type": 1, "id": 1}, session=session).limit(limit):
        found.append((str(doc["type"]), str(doc["id"])))
    return found

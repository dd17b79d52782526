"""Referential integrity at commit (``Write.requires`` and ``Write.unreferenced``).

Checked at the start of the write, in its session, before any of its documents: on
``memory://`` nothing else runs until the write's documents are stored, so a create and
a delete racing each other cannot both pass. On a replica set the check reads the
transaction's snapshot: a create and a delete whose transactions overlap write
different documents and may both commit (snapshot isolation lets that write skew
through); see docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.storage.mongo.referrers import find_referrers
from server.storage.port import ReferenceChanged, Write, requirement_holds


async def check_references(resources: Any, writes: Sequence[Write], session: Any) -> None:
    """Raise ReferenceChanged if a write's integrity conditions no longer hold."""
    written = {(w.version.resource_type, w.version.id) for w in writes}
    for write in writes:
        for required in write.requires:
            key = required[:2]
            if key in written:
                continue
            found = await resources.find_one(
                {"_id": f"{key[0]}/{key[1]}"}, {"deleted": 1, "version": 1}, session=session
            )
            stored = (bool(found.get("deleted")), found.get("version")) if found else (None, None)
            if not requirement_holds(required, *stored):
                raise ReferenceChanged(*key)
        if write.unreferenced is not None:
            target = (write.version.resource_type, write.version.id)
            referrers = await find_referrers(
                resources, target, write.unreferenced, len(written) + 1, session
            )
            if any(key not in written for key in referrers):
                raise ReferenceChanged(*target)

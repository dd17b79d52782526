"""The widest span stored under each date parameter, kept as SQLite keeps it.

A date search compares a stored value's ``low`` and ``high`` with its range; bounding
``low`` as well (``DateCond.low_bounds``) lets the ``idx.d.l`` index serve the
search, and the bound is only as tight as the widest ``high - low`` stored under the
parameter. ``date_widths`` holds one document per type and parameter, raised with
``$max`` in the write's transaction; a process remembers what it wrote after the
commit, so a write no wider than that costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.search.index_entries import IndexEntries


def width_key(resource_type: str, param: str) -> str:
    """The key of a type's date parameter."""
    return f"{resource_type}.{param}"


def widths_of(resource_type: str, entries: IndexEntries) -> dict[str, int]:
    """The widest span of each date parameter in one resource's entries, by key."""
    widest: dict[str, int] = {}
    for entry in entries.dates:
        key = width_key(resource_type, entry.param)
        widest[key] = max(widest.get(key, 0), entry.high - entry.low)
    return widest


class DateWidths:
    """Raises stored widths in a write, and reads them for a search."""

    def __init__(self) -> None:
        self._known: dict[str, int] = {}

    def wider(self, widths: dict[str, int]) -> dict[str, int]:
        """The widths this process has not stored yet."""
        return {k: w for k, w in widths.items() if w > self._known.get(k, -1)}

    async def widen(self, collection: Any, widths: dict[str, int], session: Any) -> None:
        """Raise the stored widths to at least ``widths`` in the write's session."""
        for key, width in widths.items():
            await collection.update_one(
                {"_id": key}, {"$max": {"w": width}}, upsert=True, session=session
            )

    def committed(self, widths: dict[str, int]) -> None:
        """Remember widths whose write was committed."""
        for key, width in widths.items():
            self._known[key] = max(self._known.get(key, -1), width)


async def stored_widths(collection: Any) -> dict[str, int]:
    """Every stored width, by ``Type.param``."""
    return {doc["_id"]: int(doc["w"]) async for doc in collection.find({})}

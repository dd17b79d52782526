"""Pages of a record walk: the parts (server.everything.sources) one after another.

A position is a part and the store's keyset cursor within it, so a walk neither
repeats nor skips a resource while data changes, and has no cap. A page is filled
across parts; the position a page hands on always has something after it (the parts
past a full page are probed first), so no page is empty but the sole page of an
empty record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.everything.sources import Source
from server.search.query import SearchQuery
from server.storage.port import Store, StoredVersion


@dataclass(frozen=True, slots=True)
class Position:
    """Where a walk goes on: the part by type, and the store cursor in it (None: its start)."""

    resource_type: str
    cursor: str | None = None


class RecordWalk:
    """Walks the parts of one record in order."""

    def __init__(self, store: Store, sources: Sequence[Source]) -> None:
        self.store = store
        self.sources = tuple(sources)

    def index(self, position: Position) -> int | None:
        """The part a position names, or None when this walk has no such part."""
        for i, source in enumerate(self.sources):
            if source.resource_type == position.resource_type:
                return i
        return None

    async def fill(
        self, start: Position | None, page: list[StoredVersion], count: int
    ) -> Position | None:
        """Append to ``page`` up to ``count`` resources from ``start`` (None: the beginning).

        Return where the walk goes on, or None when nothing is left after the page.
        """
        at = 0 if start is None else self.index(start)
        cursor = None if start is None else start.cursor
        if at is None:
            return None
        while at < len(self.sources):
            if len(page) == count:
                if cursor is not None:
                    return Position(self.sources[at].resource_type, cursor)
                return await self.first_filled(at)
            source = self.sources[at]
            query = SearchQuery(source.resource_type, source.clauses, (), count - len(page), cursor)
            found = await self.store.search(query)
            page.extend(found.versions)
            cursor = found.next_cursor
            if cursor is None:
                at += 1
        return None

    async def first_filled(self, at: int = 0) -> Position | None:
        """The start of the first part from ``at`` on that has a resource, if any."""
        for source in self.sources[at:]:
            probe = await self.store.search(
                SearchQuery(source.resource_type, source.clauses, (), 1)
            )
            if probe.versions:
                return Position(source.resource_type)
        return None

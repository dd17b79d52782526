"""A bounded memo of index entries by element content, for ``server.search.extract``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.search.index_entries import IndexEntries

# Entries of this many element groups at most; then the memo starts again empty (cheaper
# than an LRU's bookkeeping on every lookup, and an import's working set is far smaller).
_LIMIT = 32_768


class GroupMemo:
    """Index entries of element groups, by (type, group, base URLs, the elements' JSON)."""

    def __init__(self, limit: int = _LIMIT) -> None:
        self.limit = limit
        self._found: dict[tuple[Any, ...], IndexEntries] = {}

    def get(self, key: tuple[Any, ...]) -> IndexEntries | None:
        return self._found.get(key)

    def put(self, key: tuple[Any, ...], entries: IndexEntries) -> IndexEntries:
        if len(self._found) >= self.limit:
            self._found.clear()
        self._found[key] = entries
        return entries

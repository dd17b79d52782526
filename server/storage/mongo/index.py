"""Search index entries as fields of a MongoDB resource document, and their indexes.

Short field names keep documents small: ``idx.s`` strings (p, f folded, e exact),
``idx.t`` tokens (p, s system, c code, x text), ``idx.d`` dates (p, l low, h high),
``idx.r`` references (p, t type, i id, u url), ``idx.u`` uris (p, v), ``idx.m`` the
parameters that have a value (for ``:missing``), ``idx.o`` each parameter's sort key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING

if TYPE_CHECKING:
    from server.search.index_entries import IndexEntries

MONGO_INDEXES: tuple[list[tuple[str, int]], ...] = (
    [("type", ASCENDING), ("idx.s.p", ASCENDING), ("idx.s.f", ASCENDING)],
    [("type", ASCENDING), ("idx.t.p", ASCENDING), ("idx.t.c", ASCENDING)],
    [("type", ASCENDING), ("idx.t.p", ASCENDING), ("idx.t.s", ASCENDING)],
    [("type", ASCENDING), ("idx.d.p", ASCENDING), ("idx.d.l", ASCENDING)],
    [("type", ASCENDING), ("idx.d.p", ASCENDING), ("idx.d.h", ASCENDING)],
    [("type", ASCENDING), ("idx.r.p", ASCENDING), ("idx.r.i", ASCENDING)],
    [("type", ASCENDING), ("idx.r.p", ASCENDING), ("idx.r.u", ASCENDING)],
    [("type", ASCENDING), ("idx.u.p", ASCENDING), ("idx.u.v", ASCENDING)],
    [("type", ASCENDING), ("idx.m", ASCENDING)],
    [("type", ASCENDING), ("updated", ASCENDING)],
)


def index_document(entries: IndexEntries) -> dict[str, Any]:
    """Return the ``idx`` sub-document for a resource's index entries."""
    return {
        "s": [{"p": e.param, "f": e.folded, "e": e.exact} for e in entries.strings],
        "t": [{"p": e.param, "s": e.system, "c": e.code, "x": e.text} for e in entries.tokens],
        "d": [{"p": e.param, "l": e.low, "h": e.high} for e in entries.dates],
        "r": [
            {"p": e.param, "t": e.target_type, "i": e.target_id, "u": e.url}
            for e in entries.references
        ],
        "u": [{"p": e.param, "v": e.value} for e in entries.uris],
        "m": sorted(entries.present),
        "o": dict(entries.sort_keys),
    }

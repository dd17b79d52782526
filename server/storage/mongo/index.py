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

# Each index a clause can drive a search from continues with ``_id``: paging runs in
# ``_id`` order after an equality match, so a page reads its own documents only.
MONGO_INDEXES: tuple[list[tuple[str, int]], ...] = tuple(
    [("type", ASCENDING), *[(field, ASCENDING) for field in fields], ("_id", ASCENDING)]
    for fields in (
        ("deleted",),
        ("idx.s.p", "idx.s.f"),
        ("idx.t.p", "idx.t.c"),
        ("idx.t.p", "idx.t.s"),
        ("idx.d.p", "idx.d.l"),
        ("idx.d.p", "idx.d.h"),
        ("idx.r.p", "idx.r.i"),
        ("idx.r.p", "idx.r.u"),
        ("idx.u.p", "idx.u.v"),
        ("idx.m",),
    )
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

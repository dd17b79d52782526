"""Opaque paging cursors: a small JSON document, base64url-encoded.

A cursor names a position (the last item a page returned), never an offset, so a
page walk neither repeats nor skips items while data changes underneath.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from server.storage.port import InvalidCursor


def encode_cursor(position: dict[str, Any]) -> str:
    """Encode a position as an opaque URL-safe token."""
    return base64.urlsafe_b64encode(orjson.dumps(position)).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, required: dict[str, type]) -> dict[str, Any]:
    """Decode a token; raise InvalidCursor unless it has the ``required`` typed keys."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        position = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor("Malformed paging cursor") from None
    if not isinstance(position, dict):
        raise InvalidCursor("Malformed paging cursor")
    for key, kind in required.items():
        value = position.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidCursor("Malformed paging cursor")
    return position


def decode_search_cursor(token: str, sort_keys: int, tiebreak: tuple[str, type]) -> dict[str, Any]:
    """Decode a search cursor: ``k`` the sort key values, a store tie-breaker, ``d`` n|p.

    A cursor from another search (another number of sort keys) is refused.
    """
    name, kind = tiebreak
    position = decode_cursor(token, {"k": list, name: kind, "d": str})
    if len(position["k"]) != sort_keys or position["d"] not in ("n", "p"):
        raise InvalidCursor("The paging cursor does not belong to this search")
    if any(not isinstance(v, str | int | None) or isinstance(v, bool) for v in position["k"]):
        raise InvalidCursor("Malformed paging cursor")
    return position


def neighbours(more: bool, position: dict[str, Any] | None) -> tuple[bool, bool]:
    """Whether a keyset page has a next and a previous page.

    ``more``: the query found a row beyond the page in the direction it walked.
    Walking backwards (``d`` = p) came from a later page, forwards from an earlier one.
    """
    backwards = position is not None and position["d"] == "p"
    has_next = (more and not backwards) or (backwards and position is not None)
    has_previous = (more and backwards) or (not backwards and position is not None)
    return has_next, has_previous

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

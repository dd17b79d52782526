"""One byte layout for every generated file, so a regeneration diffs line by line.

A JSON object: its header members first, one a line, then the list member with one
item a line; every object's keys sorted. The same input gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import orjson


def render(header: dict[str, Any], list_key: str, items: list[Any]) -> bytes:
    """Serialize ``{**header, list_key: items}`` in the generated files' layout."""
    lines = [_member(key, value) + b"," for key, value in header.items()]
    body = b",\n".join(orjson.dumps(item, option=orjson.OPT_SORT_KEYS) for item in items)
    lines.append(orjson.dumps(list_key) + b":[\n" + body + b"\n]")
    return b"{\n" + b"\n".join(lines) + b"\n}\n"


def _member(key: str, value: Any) -> bytes:
    return orjson.dumps(key) + b":" + orjson.dumps(value, option=orjson.OPT_SORT_KEYS)

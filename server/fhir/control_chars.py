"""C0 control characters in FHIR strings: refused in request bodies, removed from HL7v2 data.

FHIR strings allow no control characters but tab, CR and LF (datatypes.html#string):
XML 1.0 cannot carry the others, and a resource must be writable in either format.
The rule covers every string of a document, element names included.
"""

from __future__ import annotations

import re
from typing import Any, Final

import orjson

from server.errors import Issue
from server.fhir.element_path import Path, expression, visible

CONTROL_CHARACTER: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# orjson writes those characters as \b, \f or \u0000-\u001f and writes nothing else so;
# the pattern also matches a written backslash before such letters (a false alarm that the
# walk then settles), never misses one.
_WRITTEN: Final = re.compile(rb"\\(?:[bf]|u00[01])")
_REMOVED: Final = object()

# (where, element name): the name is None for a string value, else the name holding one.
Found = list[tuple[Path, str | None]]


def may_hold_control_characters(serialized: bytes) -> bool:
    """False when ``serialized`` (orjson's output for a document) proves it holds none."""
    # Most documents have no escape at all: one byte search settles them.
    return b"\\" in serialized and _WRITTEN.search(serialized) is not None


def control_character_issues(document: Any, root: str) -> list[Issue]:
    """Return an issue for each string value, and each element name, holding one."""
    found: Found = []
    _scan(document, root, found, strip=False)
    issues: list[Issue] = []
    for where, name in found:
        at = expression(where)
        text = f"Element name '{visible(name)}' in {at or 'the body'}" if name else at
        issues.append(
            Issue(
                f"{text} holds a control character; FHIR strings allow only tab, CR and LF",
                "value",
                expression=(at,) if at else (),
            )
        )
    return issues


def strip_control_characters(resource: dict[str, Any]) -> list[str]:
    """Remove control characters from every string value of ``resource``; return where.

    A string left blank is removed, and so is an object or array that becomes empty by
    that: FHIR has no empty elements.
    """
    if not may_hold_control_characters(orjson.dumps(resource)):
        return []
    found: Found = []
    _scan(resource, str(resource.get("resourceType", "")), found, strip=True)
    return [expression(where) for where, _ in found]


def _scan(value: Any, path: Path, found: Found, *, strip: bool) -> Any:
    """Record what holds a control character; return ``value``, cleaned when ``strip``."""
    if isinstance(value, str):
        if CONTROL_CHARACTER.search(value) is None:
            return value
        found.append((path, None))
        if not strip:
            return value
        cleaned = CONTROL_CHARACTER.sub("", value)
        return cleaned if cleaned.strip() else _REMOVED
    if isinstance(value, dict):
        emptied = False
        for key in list(value):
            if not strip and CONTROL_CHARACTER.search(key):
                found.append((path, key))
            item = value[key]
            cleaned = _scan(item, (path, key), found, strip=strip)
            if cleaned is _REMOVED:
                del value[key]
                emptied = True
            elif cleaned is not item:
                value[key] = cleaned
        return _REMOVED if emptied and not value else value
    if isinstance(value, list):
        items = [_scan(item, (path, i), found, strip=strip) for i, item in enumerate(value)]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            value[:] = [item for item in items if item is not _REMOVED]
            return value if value else _REMOVED
    return value

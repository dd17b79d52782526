"""Parse a JSON request body strictly: refuse what orjson would quietly let through.

orjson keeps the last of repeated keys and decodes ``\\u0000``. Both are refused, each
with the FHIRPath expression of the element: two parsers in a chain could read different
values from repeated keys, and FHIR strings cannot hold C0 control characters
(``server.fhir.control_chars``).

Repeated keys are found without a second parse of every body. Each key and string value
of the text is one quoted token, and ``orjson.dumps`` writes each token it kept with two
``"`` plus one ``\\"`` per quote character inside. In the body each token has its two
``"`` plus a ``\\"`` or a ``\\u0022`` per quote character inside (counting ``\\u0022`` can
only over-count: a written backslash before ``u0022``). So the body's ``"`` and
``\\u0022`` are at least as many as the re-serialized document's ``"``, and as many only
when no token was dropped, that is when no key repeats. Only a difference pays for the
duplicate-aware parse that finds where.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Final

import orjson

from server.errors import InvalidRequest, Issue
from server.fhir.control_chars import control_character_issues, may_hold_control_characters
from server.fhir.element_path import Path, expression

_QUOTE: Final = b'"'
# orjson reads deeper documents than it writes; what it cannot write cannot be stored.
TOO_DEEP: Final = "The document nests deeper than the server can store"
_WRITTEN_QUOTE: Final = b"\\u0022"


def parse_json(raw: bytes) -> Any:
    """Parse ``raw``; raise InvalidRequest for bad syntax, repeated keys or control characters."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"Body is not valid JSON: {exc.msg} at position {exc.pos}") from None
    try:
        serialized = orjson.dumps(document)
    except orjson.JSONEncodeError:
        raise InvalidRequest(TOO_DEEP, code="structure") from None
    root = _root_name(document)
    issues: list[Issue] = []
    if raw.count(_QUOTE) + raw.count(_WRITTEN_QUOTE) != serialized.count(_QUOTE):
        issues.extend(repeated_key_issues(raw, root))
    if may_hold_control_characters(serialized):
        issues.extend(control_character_issues(document, root))
    if issues:
        raise InvalidRequest(issues[0].diagnostics, issues=issues)
    return document


def repeated_key_issues(raw: bytes, root: str) -> list[Issue]:
    """Return an issue for each key that an object of ``raw`` (valid JSON) repeats."""
    issues: list[Issue] = []
    _report(json.loads(raw, object_pairs_hook=_pairs), root, issues)
    return issues


def _root_name(document: Any) -> str:
    """A resource's type names the root of its expressions; other documents have none."""
    if isinstance(document, dict):
        name = document.get("resourceType")
        if isinstance(name, str) and name.isascii() and name.isalnum():
            return name
    return ""


class _Repeating(dict[str, Any]):
    """An object whose text repeats keys (``repeated``, in order of appearance)."""

    __slots__ = ("repeated",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.repeated = [key for key, n in Counter(key for key, _ in pairs).items() if n > 1]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    unique = dict(pairs)
    return unique if len(unique) == len(pairs) else _Repeating(pairs)


def _report(value: Any, path: Path, issues: list[Issue]) -> None:
    if isinstance(value, dict):
        if isinstance(value, _Repeating):
            for key in value.repeated:
                at = expression((path, key))
                issues.append(
                    Issue(
                        f"{at} appears more than once in its object", "structure", expression=(at,)
                    )
                )
        for key, item in value.items():
            _report(item, (path, key), issues)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _report(item, (path, index), issues)

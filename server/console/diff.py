"""Two versions of a resource as a line diff of their indented JSON.

Long runs of unchanged lines fold to their first and last few, so a one-element change
in a large resource shows as a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Final, Literal

from server.console.templates import pretty_json

CONTEXT: Final = 3

Kind = Literal["same", "del", "add", "fold"]


@dataclass(frozen=True, slots=True)
class Line:
    kind: Kind
    text: str


def _lines(resource: dict[str, Any]) -> list[str]:
    # The version's own stamps differ in every pair; they are not what changed.
    body = dict(resource)
    meta = {k: v for k, v in body.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}
    if meta:
        body["meta"] = meta
    else:
        body.pop("meta", None)
    return pretty_json(body).splitlines()


def _fold(lines: list[str]) -> list[Line]:
    if len(lines) <= 2 * CONTEXT + 1:
        return [Line("same", line) for line in lines]
    hidden = len(lines) - 2 * CONTEXT
    return [
        *(Line("same", line) for line in lines[:CONTEXT]),
        Line("fold", f"… {hidden} unchanged lines"),
        *(Line("same", line) for line in lines[-CONTEXT:]),
    ]


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> list[Line]:
    """The lines of ``new`` against ``old``: removed, added, and the unchanged folded."""
    before, after = _lines(old), _lines(new)
    shown: list[Line] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            shown += _fold(before[i1:i2])
            continue
        shown += [Line("del", line) for line in before[i1:i2]]
        shown += [Line("add", line) for line in after[j1:j2]]
    return shown

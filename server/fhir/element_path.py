"""Where a value is in a JSON document, spelled as a FHIRPath expression only when reported.

A path is the root's name (a resource type, or "" for a document that is not a resource),
then (parent, element name) or (parent, list index) pairs: building one costs a tuple,
and most walks find nothing to report.
"""

from __future__ import annotations

Path = str | tuple["Path", str | int]

# Control characters in a reported name are written as \uXXXX: an OperationOutcome
# must itself be a valid FHIR string.
_VISIBLE = {code: f"\\u{code:04x}" for code in range(0x20)}


def visible(text: str) -> str:
    """Return ``text`` with its C0 control characters written as ``\\uXXXX`` escapes."""
    return text.translate(_VISIBLE)


def expression(path: Path) -> str:
    """Spell ``path`` as a FHIRPath-like expression: ``Patient.name[0].family``."""
    parts: list[str] = []
    while isinstance(path, tuple):
        path, step = path
        parts.append(f"[{step}]" if isinstance(step, int) else f".{visible(step)}")
    parts.append(path)
    return "".join(reversed(parts)).removeprefix(".")

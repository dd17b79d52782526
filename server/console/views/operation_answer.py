"""An operation's answer as a page shows it, or "not available on this server".

Pages show what the server has: an operation another part of fhirport adds later (the
registration check, say) answers 404 ``not-supported`` until then, and the page says so
in words instead of showing an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.console.views.fhir_text import Issue, issues_of, parameter_values

__all__ = ["OperationAnswer", "operation_answer"]

_ABSENT_STATUSES = (404, 405, 501)


@dataclass(frozen=True, slots=True)
class OperationAnswer:
    """``available`` False: the server has no such operation; else its issues or values."""

    available: bool
    ok: bool = True
    issues: tuple[Issue, ...] = ()
    values: tuple[tuple[str, str], ...] = ()


def _text(value: Any) -> str:
    if isinstance(value, list):  # parts
        return "; ".join(f"{name}: {_text(v)}" for name, v in value)
    if isinstance(value, dict):
        for key in ("display", "reference", "text", "code", "value"):
            if isinstance(value.get(key), str | int | float):
                return str(value[key])
        return ", ".join(_text(v) for v in value.get("coding") or ())
    return "" if value is None else str(value)


def operation_answer(status: int, body: Any) -> OperationAnswer:
    """Read an operation's answer (an OperationOutcome or Parameters) by its status."""
    issues = tuple(issues_of(body))
    if status in _ABSENT_STATUSES and (
        status != 404 or any(i.code == "not-supported" for i in issues)
    ):
        return OperationAnswer(available=False)
    values: tuple[tuple[str, str], ...] = ()
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        values = tuple((name, _text(value)) for name, value in parameter_values(body))
    return OperationAnswer(True, 200 <= status < 300, issues, values)

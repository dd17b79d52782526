"""Errors placed in the entry they are about (``Bundle.entry[3].resource.subject``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from server.errors import FhirError
from server.transactions.parse import RequestEntry


def located(error: FhirError, entry: RequestEntry) -> FhirError:
    """``error`` with every issue's expression placed in its entry (``Bundle.entry[i]...``)."""
    prefix = f"{entry.where}."
    head = f"{entry.resource_type}."

    def place(expression: str) -> str:
        if expression.startswith("Bundle."):
            return expression
        if expression.startswith(head):
            return f"{prefix}resource.{expression[len(head) :]}"
        if expression in ("id", "If-Match"):
            return f"{prefix}request.{'url' if expression == 'id' else 'ifMatch'}"
        return f"{prefix}resource.{expression}" if entry.resource else f"{prefix}request"

    issues = []
    for issue in error.issues:
        expression = tuple(place(e) for e in issue.expression) or (entry.where,)
        diagnostics = issue.diagnostics
        if not diagnostics.startswith(entry.where):
            diagnostics = f"{entry.where}: {diagnostics}"
        issues.append(replace(issue, expression=expression, diagnostics=diagnostics))
    error.issues = issues
    return error


@contextmanager
def about(entry: RequestEntry) -> Iterator[None]:
    """Place any FhirError raised in the block in ``entry``."""
    try:
        yield
    except FhirError as error:
        raise located(error, entry) from None

"""The server's error tree: every failure a client can cause is one of these.

Each error carries its HTTP status and one or more OperationOutcome issues
(severity, issue type, diagnostics, FHIRPath ``expression``). Routes and services
raise; ``server.api.error_handlers`` turns every error into an OperationOutcome.

    FhirError                      400 invalid (base)
    +-- InvalidRequest             400 invalid         malformed request, bad parameter
    +-- InvalidResource            400 structure|value|required|code-invalid  body fails validation
    +-- Unauthorized               401 login           no bearer token, or one refused
    +-- Forbidden                  403 forbidden       the token's scopes do not allow it
    +-- NotFound                   404 not-found
    +-- MethodNotAllowed           405 not-supported
    +-- NotAcceptable              406 not-supported
    +-- Conflict                   409 conflict
    +-- Gone                       410 deleted
    +-- PreconditionFailed         412 conflict        stale If-Match, ambiguous conditional
    +-- PayloadTooLarge            413 too-long
    +-- UnsupportedMediaType       415 not-supported
    +-- BusinessRuleViolation      422 business-rule
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

Severity = Literal["fatal", "error", "warning", "information"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One OperationOutcome.issue."""

    diagnostics: str
    code: str = "invalid"
    severity: Severity = "error"
    expression: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """Build an OperationOutcome resource from issues."""
    return {"resourceType": "OperationOutcome", "issue": [i.to_json() for i in issues]}


class FhirError(Exception):
    """A failure with an HTTP status and the OperationOutcome issues that explain it."""

    status: ClassVar[int] = 400
    issue_code: ClassVar[str] = "invalid"

    def __init__(
        self,
        diagnostics: str,
        *,
        expression: str | list[str] | tuple[str, ...] | None = None,
        code: str | None = None,
        issues: list[Issue] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        if isinstance(expression, str):
            expression = (expression,)
        first = Issue(
            diagnostics=diagnostics,
            code=code or self.issue_code,
            expression=tuple(expression or ()),
        )
        self.issues: list[Issue] = issues if issues else [first]
        self.headers: dict[str, str] = headers or {}

    @property
    def diagnostics(self) -> str:
        return self.issues[0].diagnostics

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issues)


class InvalidRequest(FhirError):
    status = 400
    issue_code = "invalid"


class InvalidResource(FhirError):
    status = 400
    issue_code = "structure"


class Unauthorized(FhirError):
    """No usable bearer token: answered with ``WWW-Authenticate`` (RFC 6750 section 3).

    ``refused`` is True when a token was sent and rejected (``error="invalid_token"``);
    without a token the challenge carries no error code.
    """

    status = 401
    issue_code = "login"

    def __init__(self, diagnostics: str, *, refused: bool) -> None:
        challenge = 'Bearer realm="fhirport"' + (', error="invalid_token"' if refused else "")
        super().__init__(diagnostics, headers={"WWW-Authenticate": challenge})


class Forbidden(FhirError):
    status = 403
    issue_code = "forbidden"


class NotFound(FhirError):
    status = 404
    issue_code = "not-found"


class MethodNotAllowed(FhirError):
    status = 405
    issue_code = "not-supported"


class NotAcceptable(FhirError):
    status = 406
    issue_code = "not-supported"


class Conflict(FhirError):
    status = 409
    issue_code = "conflict"


class Gone(FhirError):
    status = 410
    issue_code = "deleted"


class PreconditionFailed(FhirError):
    status = 412
    issue_code = "conflict"


class PayloadTooLarge(FhirError):
    status = 413
    issue_code = "too-long"


class UnsupportedMediaType(FhirError):
    status = 415
    issue_code = "not-supported"


class BusinessRuleViolation(FhirError):
    status = 422
    issue_code = "business-rule"

"""The AuditEvents of the authorization server's own endpoints (IHE BALP, FHIR R4).

The audit middleware records ``/fhir`` and the token endpoint; the other ``/auth``
endpoints that act for someone record their one event here, through the audit trail's
queue like any read's. The codes:

- sign-in (the password page, or a browser's single sign-on session standing in for it)
  and the token endpoint: DICOM 110114 User Authentication / 110122 Login;
- sign-out and token revocation (RFC 7009): 110114 / 110123 Logout. Revoking a token
  ends what a sign-in began, as a logout does; IHE IUA has no revocation transaction;
- token introspection (RFC 7662): 110114 with the IUA transaction ITI-102 Introspect
  Token as subtype, as BALP's IUA profiles put the transaction (ITI-71 for a token);
- the EHR launch (``/auth/launch``): ``rest`` / ``operation``, action E, on the launched
  Patient, so ``AuditEvent?patient=`` finds who launched apps on that patient's record;
- the patient picker: ``rest`` / ``search-type`` (action R) with the patients listed,
  and the picked or displayed patient a ``read``, as the same FHIR interactions would be.

The agent is the calling client (the client id it claimed, when its authentication
failed) and the user when known; the outcome follows the answer's status. The JWKS
and discovery documents are public and carry nothing about anyone: not audited.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from server.audit.events import (
    AUTHENTICATION,
    INTROSPECT,
    LOGIN,
    LOGOUT,
    REST,
    Access,
    Code,
    interaction_code,
    outcome_of,
)
from server.audit.trail import AuditTrail
from server.fhir.clock import now_us

__all__ = ["INTROSPECT", "LOGIN", "LOGOUT", "record_auth", "record_patient_access"]


def record_auth(
    request: Request,
    audit: AuditTrail,
    subtype: Code,
    status: int,
    *,
    client: str | None,
    user: str | None = None,
    description: str | None = None,
) -> None:
    """Queue a User Authentication event (``subtype`` Login, Logout or ITI-102)."""
    _record(request, audit, AUTHENTICATION, subtype, "E", status, client, user, description)


def record_patient_access(
    request: Request,
    audit: AuditTrail,
    interaction: str,
    status: int,
    *,
    client: str | None,
    user: str | None = None,
    patients: tuple[str, ...] = (),
    query: dict[str, str] | None = None,
) -> None:
    """Queue a ``rest`` event for an access to ``patients``' records (ids, not references)."""
    action = "R" if interaction in ("read", "search-type") else "E"
    _record(
        request,
        audit,
        REST,
        interaction_code(interaction),
        action,
        status,
        client,
        user,
        None,
        patients=patients,
        query=urlencode(query) if query is not None else None,
    )


def _record(
    request: Request,
    audit: AuditTrail,
    kind: Code,
    subtype: Code,
    action: str,
    status: int,
    client: str | None,
    user: str | None,
    description: str | None,
    *,
    patients: tuple[str, ...] = (),
    query: str | None = None,
) -> None:
    if description is None and status >= 400:
        description = f"HTTP {status} {request.method} {request.url.path}"
    audit.record(
        Access(
            recorded=now_us(),
            type=kind,
            subtypes=(subtype,),
            action=action,
            outcome=outcome_of(status),
            client=client,
            user=user,
            address=request.client.host if request.client else None,
            patients=patients,
            query=query,
            description=description,
            request_id=getattr(request.state, "request_id", None),
        )
    )

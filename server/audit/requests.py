"""What an HTTP request was, for its AuditEvent: the interaction, from the method and path.

Read from the request line alone, so that a refused request (401, 403, an unknown
path, a malformed id) is described as well as a served one: the route it would have
taken need not have run. Only ``/fhir/...`` and the token endpoint are audited.
"""

from __future__ import annotations

from typing import Any

from server.audit.draft import AuditDraft
from server.audit.events import (
    ACTIONS,
    AUTHENTICATION,
    LOGIN,
    REST,
    Access,
    Code,
    interaction_code,
    message_code,
    outcome_of,
)
from server.fhir.clock import now_us
from server.value_types import value_type

FHIR = "/fhir"
AUTH_ENDPOINT = "/auth/token"


@value_type
class Interaction:
    """The interaction a request line names, and the resource it names, if any."""

    code: str  # a restful-interaction code, or "login" for the token endpoint
    operation: str | None = None  # "$release"
    resource_type: str | None = None
    resource_id: str | None = None


def audited(path: str) -> bool:
    """Whether requests for ``path`` are audited."""
    return path in (AUTH_ENDPOINT, FHIR) or path.startswith("/fhir/")


def classify(method: str, path: str) -> Interaction:
    """The interaction of a request for ``path`` (an audited one) by ``method``."""
    if path == AUTH_ENDPOINT:
        return _LOGIN
    parts = path[len(FHIR) :].split("/")
    if "" in parts:
        parts = [p for p in parts if p]
    operation = next((p for p in parts if p.startswith("$")), None) if "$" in path else None
    if operation is not None:
        before = parts[: parts.index(operation)]
        return Interaction("operation", operation, *_type_and_id(before))
    if not parts:
        return Interaction("search-system" if method in ("GET", "HEAD") else "batch")
    if parts[0] == "metadata" or parts[0] == ".well-known":
        return Interaction("capabilities")
    if parts[0] == "_history":
        return Interaction("history-system")
    resource_type = parts[0]
    if len(parts) == 1:
        code = _TYPE_LEVEL.get(method, "search-type")
        return Interaction(code, None, resource_type)
    if parts[1] == "_search":
        return Interaction("search-type", None, resource_type)
    if parts[1] == "_history":
        return Interaction("history-type", None, resource_type)
    resource_id = parts[1]
    if len(parts) == 2:
        return Interaction(_INSTANCE_LEVEL.get(method, "read"), None, resource_type, resource_id)
    if parts[2] == "_history":
        code = "vread" if len(parts) > 3 else "history-instance"
        return Interaction(code, None, resource_type, resource_id)
    # A compartment search (Patient/1/Appointment): a search of the compartment's data.
    return Interaction("search-type", None, parts[2], None)


_LOGIN = Interaction("login")
_TYPE_LEVEL = {"POST": "create", "PUT": "update", "DELETE": "delete"}
_INSTANCE_LEVEL = {"PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _type_and_id(parts: list[str]) -> tuple[str | None, str | None]:
    return (parts[0] if parts else None), (parts[1] if len(parts) > 1 else None)


def request_access(draft: AuditDraft, status: int) -> Access:
    """The access a request was, from its draft, its answer's status and its token."""
    interaction = classify(draft.method, draft.path)
    code = draft.interaction or interaction.code
    entities = draft.entities
    if interaction.resource_id is not None and interaction.resource_type is not None:
        entities = [f"{interaction.resource_type}/{interaction.resource_id}", *entities]
    named = [e[len("Patient/") :] for e in entities if e.startswith("Patient/")]
    patients: tuple[str, ...] = ()
    if named or draft.patients:
        found = set(draft.patients)
        found.update(named)
        patients = tuple(found)
    subtypes: tuple[Code, ...]
    if code == "login":
        kind, subtypes = AUTHENTICATION, (LOGIN,)
    else:
        kind, subtypes = REST, (interaction_code(code),)
        if draft.messages:
            subtypes += tuple(message_code(m) for m in draft.messages)
    claims = _claims(draft.state.get("access"))
    return Access(
        recorded=now_us(),
        type=kind,
        subtypes=subtypes,
        action=ACTIONS.get(code, "E"),
        outcome=outcome_of(status),
        client=claims.client_id if claims else draft.client,
        issuer=claims.issuer if claims else None,
        user=claims.fhir_user if claims else None,
        address=draft.address,
        entities=tuple(dict.fromkeys(entities)),
        patients=patients,
        query=draft.query if code.startswith("search") else None,
        description=None if status < 400 else f"HTTP {status} {draft.method} {draft.path}",
        returned=tuple(draft.returned),
        request_id=draft.state.get("request_id"),  # set by server.api.request_ids
    )


def _claims(access: Any) -> Any:
    # SCOPES' Access carries the verified token's Claims (None under --auth none).
    return getattr(access, "claims", None)

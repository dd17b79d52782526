"""What one request's AuditEvent will say, filled while the request runs.

The request's audit (server.api.request_audit) makes one ``AuditDraft`` per request
and sets it as the request's ``current_draft``; handlers name the interaction and what
they read or returned, the resource service's write hook records a write's event in
the write's own batch, and after the response the request's audit turns the draft, the
status and the request's access into the event (unless the write already did).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from server.storage.port import StoredVersion


@dataclass(slots=True)
class AuditDraft:
    """One request's audit facts so far.

    The interaction is read from ``method`` and ``path`` (server.audit.requests);
    ``entities`` are references (``Type/id``) read or written beyond the one the path
    names; ``patients`` ids of patients whose data it was; ``returned`` the versions
    the answer carried (their patients are found when the event is built, off the
    response path); ``query`` the query string; ``messages`` the HL7v2 message types
    (MSH-9) the request carried. ``written`` is
    set by the write hook: the event went into the write's own batch, so a successful
    answer needs no other.
    """

    method: str
    path: str
    scope: MutableMapping[str, Any] = field(default_factory=dict)  # the request's ASGI scope
    query: str | None = None
    client: str | None = None  # the client id a token request named
    entities: list[str] = field(default_factory=list)
    patients: set[str] = field(default_factory=set)
    returned: list[StoredVersion] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    written: bool = False
    # What the handler found the interaction to be where the path cannot say
    # (``POST /fhir`` is a transaction or a batch by its body).
    interaction: str | None = None

    @property
    def state(self) -> dict[str, Any]:
        """The request's state (``request.state``): where the access dependency puts ``access``."""
        state: dict[str, Any] = self.scope.setdefault("state", {})
        return state

    @property
    def address(self) -> str | None:
        """The client's network address (as a trusted proxy's headers give it, if any)."""
        client = self.scope.get("client")
        return str(client[0]) if client else None


# The draft of the request being served, for the code below the handlers (the
# resource service's write hook) that has no request object.
current_draft: ContextVar[AuditDraft | None] = ContextVar("fhirport_audit_draft", default=None)


def audit_returned(versions: Iterable[StoredVersion]) -> None:
    """Note what the request being served returns: whose data it was is its audit's."""
    draft = current_draft.get()
    if draft is not None:
        draft.returned.extend(versions)


def audit_touched(references: Iterable[str], messages: Iterable[str] = ()) -> None:
    """Note the resources an operation wrote or read (``Type/id``) and the HL7v2 messages."""
    draft = current_draft.get()
    if draft is not None:
        draft.entities.extend(references)
        draft.messages.extend(messages)


def audit_interaction(code: str) -> None:
    """Name the interaction of the request being served (a restful-interaction code)."""
    draft = current_draft.get()
    if draft is not None:
        draft.interaction = code

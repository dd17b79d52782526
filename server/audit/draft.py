"""What one request's AuditEvent will say, filled while the request runs.

The audit middleware (server.api.audit_middleware) makes one ``AuditDraft`` per request
and sets it as the request's ``current_draft``; handlers name the interaction and what
they read or returned, the resource service's write hook records a write's event in
the write's own batch, and after the response the middleware turns the draft, the
status and the request's access into the event (unless the write already did).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class AuditDraft:
    """One request's audit facts so far.

    ``interaction`` is a restful-interaction code (read, vread, create, update, patch,
    delete, search-type, search-system, history-instance, history-type,
    history-system, capabilities, operation) or ``login`` for the token endpoint;
    ``operation`` the operation's name (``$release``) when ``interaction`` is
    ``operation``; ``entities`` the references (``Type/id``) read or written;
    ``patients`` the ids of the patients whose data was read, returned or written;
    ``query`` the search's query string; ``messages`` the HL7v2 message types (MSH-9)
    the request carried. ``state`` is the request's state dict (``request.state``),
    where the access dependency puts ``access``. ``written`` is set by the write hook:
    the event already went into the write's batch, so a successful answer needs no
    other.
    """

    address: str | None
    state: dict[str, Any] = field(default_factory=dict)
    interaction: str | None = None
    operation: str | None = None
    resource_type: str | None = None
    query: str | None = None
    entities: list[str] = field(default_factory=list)
    patients: set[str] = field(default_factory=set)
    messages: list[str] = field(default_factory=list)
    written: bool = False

    def read(self, resource_type: str, resource_id: str, interaction: str) -> None:
        """Name the interaction and the resource it concerns."""
        self.interaction = interaction
        self.resource_type = resource_type
        self.entities.append(f"{resource_type}/{resource_id}")
        if resource_type == "Patient":
            self.patients.add(resource_id)


# The draft of the request being served, for the code below the handlers (the
# resource service's write hook) that has no request object.
current_draft: ContextVar[AuditDraft | None] = ContextVar("fhirport_audit_draft", default=None)

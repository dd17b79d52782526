"""One AuditEvent for every request under /fhir and the token endpoint.

server.api.envelope, the outermost layer, opens a ``RequestAudit`` before the app runs,
so that a request refused anywhere inside (the host guard, the token check, a scope, a
malformed id, an unknown path, an unexpected error) is recorded too. It puts an
``AuditDraft`` on the request (``request.state.audit``, and ``current_draft`` for the
code under the handlers); after the answer ``end`` hands the draft and the status to the
runtime's ``AuditTrail``, which queues the event for its next group commit
(server.audit.trail): the answer does not wait for it. A write's event was already
committed with the write (the draft says so) unless the write failed.
"""

from __future__ import annotations

from contextvars import Token

from starlette.types import Scope

from server.audit.draft import AuditDraft, current_draft
from server.audit.requests import audited, request_access
from server.audit.trail import AuditTrail


class RequestAudit:
    """The audit of one request, from before its app runs to after its answer."""

    __slots__ = ("_draft", "_token", "_trail")

    def __init__(self, trail: AuditTrail, draft: AuditDraft) -> None:
        self._trail = trail
        self._draft = draft
        self._token: Token[AuditDraft | None] = current_draft.set(draft)

    @classmethod
    async def begin(cls, scope: Scope) -> RequestAudit | None:
        """The audit of the request of ``scope``; None for a request that is not audited."""
        if not audited(scope["path"]):
            return None
        trail: AuditTrail | None = getattr(scope["app"].state, "audit", None)
        if trail is None or not trail.active:
            return None
        draft = AuditDraft(scope["method"], scope["path"], scope)
        query = scope.get("query_string", b"")
        if query:
            draft.query = query.decode("latin-1")
        draft.state["audit"] = draft
        # Past the trail's high-water mark a request waits for the flush to catch up
        # (it does not even start): reads slow down rather than the backlog, what a
        # crash would lose, grow.
        await trail.room()
        return cls(trail, draft)

    def end(self, status: int) -> None:
        """Queue the request's AuditEvent (unless its write recorded it), answered ``status``."""
        draft = self._draft
        current_draft.reset(self._token)
        if not (draft.written and status < 400):
            self._trail.record(request_access(draft, status))
        # The draft holds the scope and the scope's state the draft: left as a cycle,
        # each request's scope would wait for the garbage collector.
        del draft.state["audit"]

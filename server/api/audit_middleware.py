"""The audit middleware: one AuditEvent for every request under /fhir and the token endpoint.

Outermost, so that a request refused anywhere inside (the host guard, the token check,
a scope, a malformed id, an unknown path, an unexpected error) is recorded too. It puts
an ``AuditDraft`` on the request (``request.state.audit``, and ``current_draft`` for the
code under the handlers), lets the app answer, and then hands the draft and the status
to the runtime's ``AuditTrail``, which queues the event for its next group commit
(server.audit.trail): the answer does not wait for it. A write's event was already
committed with the write (the draft says so) unless the write failed.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.audit.draft import AuditDraft, current_draft
from server.audit.requests import audited, request_access
from server.audit.trail import AuditTrail


class AuditMiddleware:
    """Records each audited request's AuditEvent after its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not audited(scope["path"]):
            await self.app(scope, receive, send)
            return
        trail: AuditTrail | None = getattr(scope["app"].state, "audit", None)
        if trail is None or not trail.active:
            await self.app(scope, receive, send)
            return
        draft = AuditDraft(scope["method"], scope["path"], scope)
        query = scope.get("query_string", b"")
        if query:
            draft.query = query.decode("latin-1")
        draft.state["audit"] = draft
        status = 500  # an exception that escapes is answered 500 further out

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # Past the trail's high-water mark a request waits for the flush to catch up
        # (it does not even start): reads slow down rather than the backlog, what a
        # crash would lose, grow.
        await trail.room()
        token = current_draft.set(draft)
        try:
            await self.app(scope, receive, send_status)
        finally:
            current_draft.reset(token)
            if not (draft.written and status < 400):
                trail.record(request_access(draft, status))
            # The draft holds the scope and the scope's state the draft: left as a cycle,
            # each request's scope would wait for the garbage collector.
            del draft.state["audit"]

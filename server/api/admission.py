"""Whether a request is let in: its Host (server.api.public_urls), its URL's length and
query parameters, and a read's time budget (server.api.request_limits), in one layer."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from server.api.public_urls import HostPolicy
from server.api.request_limits import RequestLimits, send_outcome
from server.errors import InvalidRequest


class Admission:
    """ASGI middleware under server.api.envelope: a request whose Host is not allowed
    gets a 400 OperationOutcome, one that asks too much a 414 or 400, and the rest run
    within the limits' time budget."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: HostPolicy,
        limits: RequestLimits,
        any_host: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.limits = limits
        self.any_host = any_host  # paths whose answers name no URL (the health probes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] not in self.any_host:
            try:
                self.hosts.origin(scope)
            except InvalidRequest as exc:
                await send_outcome(send, 400, exc.issues)
                return
        refusal = self.limits.refusal(scope)
        if refusal is not None:
            status, issue = refusal
            await send_outcome(send, status, [issue])
            return
        await self.limits.run(self.app, scope, receive, send)

"""Console sessions: kept on the server, named by a random cookie, carrying the user's token.

The browser holds only the session's id, in an HttpOnly, SameSite=Strict cookie; the
access token stays here and never reaches a page. Each session has its own CSRF token,
which every form post must return. Signing in gives a new session id (no fixation).
Sessions live in this process: with ``--workers`` above one a browser may reach a
worker that does not know its session and is asked to sign in again.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final

COOKIE: Final = "fhirport_console"
IDLE_SECONDS: Final = 8 * 3600
MAX_SESSIONS: Final = 10_000


def _new_id() -> str:
    return secrets.token_urlsafe(32)


@dataclass(slots=True)
class Session:
    """One browser's session: its CSRF token and, once signed in, the user's token."""

    id: str
    csrf: str
    seen: float
    token: str | None = None
    token_expires: float | None = None  # monotonic seconds; None: as long as the session
    refresh_token: str | None = None
    user: str | None = None  # whom to show as signed in (fhirUser or the token's subject)
    # Sign-in in progress (state, PKCE verifier, where to go after), keyed by state.
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    # One refresh at a time: a refresh token works once, and a second use of it would
    # revoke the whole grant (the panels of a page load at the same time).
    refreshing: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def signed_in(self) -> bool:
        if self.token is None:
            return False
        return self.token_expires is None or time.monotonic() < self.token_expires


class SessionStore:
    """The sessions of this process, the least recently used dropped beyond ``limit``."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS, limit: int = MAX_SESSIONS) -> None:
        self.idle_seconds = idle_seconds
        self.limit = limit
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def get(self, session_id: str | None) -> Session | None:
        """The live session with that id, or None (unknown, or idle too long)."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = time.monotonic()
        if now - session.seen > self.idle_seconds:
            del self._sessions[session_id]
            return None
        session.seen = now
        self._sessions.move_to_end(session_id)
        return session

    def new(self) -> Session:
        session = Session(_new_id(), secrets.token_urlsafe(32), time.monotonic())
        self._sessions[session.id] = session
        while len(self._sessions) > self.limit:
            self._sessions.popitem(last=False)
        return session

    def sign_in(
        self,
        session: Session,
        token: str,
        user: str | None,
        expires_in: float | None = None,
        refresh_token: str | None = None,
    ) -> Session:
        """A new session (new id and CSRF token) for the user, replacing ``session``."""
        self._sessions.pop(session.id, None)
        fresh = self.new()
        fresh.user = user
        renew(fresh, token, expires_in, refresh_token)
        return fresh

    def sign_out(self, session: Session) -> None:
        self._sessions.pop(session.id, None)


def renew(
    session: Session, token: str, expires_in: float | None, refresh_token: str | None
) -> None:
    """Give ``session`` a new access token (and the refresh token that came with it)."""
    session.token = token
    session.token_expires = time.monotonic() + expires_in if expires_in else None
    session.refresh_token = refresh_token

"""Single sign-on: one sign-in per browser serves every app's authorization for a while.

After a sign-in the browser holds a session id (a cookie of the authorization server's
pages); the store holds the user it stands for, for ``SESSION_LIFETIME``. An
authorization request from that browser starts signed in, unless it asks for a fresh
sign-in (OpenID ``prompt=login``). The user's approval is still asked for each app,
and a removed user's session ends with them. Signing out closes the session.
"""

from __future__ import annotations

from server.auth.grants import Grants
from server.storage.auth_port import AuthRecords, UserRecord

SESSION = "session"
SESSION_LIFETIME = 8 * 3600  # seconds: a working day's shift


async def open_session(grants: Grants, username: str) -> str:
    """A new session id for ``username``."""
    return await grants.issue(SESSION, {"username": username}, SESSION_LIFETIME)


async def session_user(
    grants: Grants, records: AuthRecords, session_id: str | None
) -> UserRecord | None:
    """The user a live session id stands for, or None."""
    if not session_id:
        return None
    grant = await grants.find(SESSION, session_id)
    if grant is None or grant.record.used or grant.record.revoked:
        return None
    return await records.user(grant.payload["username"])


async def close_session(grants: Grants, session_id: str | None) -> None:
    """End a session (sign-out); nothing if there is none."""
    if session_id:
        grant = await grants.find(SESSION, session_id)
        if grant is not None:
            await grants.close(grant)

"""Refresh tokens for ``offline_access`` and ``online_access``: store-backed, rotated, revocable.

Each refresh token is single-use: redeeming it claims it in the store and hands out a
new one of the same family (the authorization it came from). A refresh token presented
again after it was rotated means two parties hold it, one of them a thief: the whole
family is revoked, so neither can go on (OAuth 2.0 Security BCP, refresh token
rotation). ``offline_access`` tokens last ``OFFLINE_LIFETIME``, ``online_access``
ones ``ONLINE_LIFETIME`` (a working day).
"""

from __future__ import annotations

from typing import Any

from server.auth.grants import Grants

REFRESH = "refresh"
OFFLINE_LIFETIME = 30 * 24 * 3600  # seconds
ONLINE_LIFETIME = 12 * 3600


def refresh_lifetime(scopes: list[str]) -> int | None:
    """How long a refresh token for ``scopes`` lives, or None when they ask for none."""
    if "offline_access" in scopes:
        return OFFLINE_LIFETIME
    if "online_access" in scopes:
        return ONLINE_LIFETIME
    return None


async def issue_refresh(
    grants: Grants, payload: dict[str, Any], scopes: list[str], family: str
) -> str | None:
    """A new refresh token of ``family`` for ``payload``, if ``scopes`` ask for one."""
    lifetime = refresh_lifetime(scopes)
    if lifetime is None:
        return None
    return await grants.issue(REFRESH, payload, lifetime, family=family)

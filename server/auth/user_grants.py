"""The token endpoint's user grants: ``authorization_code`` and ``refresh_token``.

A code is claimed in the store before anything else is checked, so it is spent even
when the rest of the request is wrong; presented again, it revokes what was issued from
it (RFC 6749 section 4.1.2). It must come from the client it was issued to, with the
same redirect URI and the PKCE verifier of its challenge. A refresh token is checked
against its client before it is claimed, so a client cannot spend another's.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.auth.authorize import CODE
from server.auth.grants import Grants
from server.auth.oauth import OAuthError, invalid_grant, invalid_request
from server.auth.pkce import verifier_matches
from server.auth.refresh_tokens import REFRESH
from server.auth.user_tokens import Authorized
from server.storage.auth_port import AuthRecords, ClientRecord


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise invalid_request(f"{name} is missing")
    return value


async def redeem_code(
    grants: Grants, form: Mapping[str, str], client: ClientRecord
) -> tuple[Authorized, str]:
    """What the code in ``form`` authorized, and its family; invalid_grant otherwise."""
    code = _required(form, "code")
    grant = await grants.claim(CODE, code)
    if grant is None:
        spent = await grants.find(CODE, code)
        if spent is not None:
            await grants.revoke_family(spent.record.family)
        raise invalid_grant("The code is unknown, expired or used already")
    issued = grant.payload
    if issued["client_id"] != client.client_id:
        raise invalid_grant("The code was issued to another client")
    if form.get("redirect_uri") != issued["redirect_uri"]:
        raise invalid_grant("redirect_uri is not the one the code was asked for")
    if not verifier_matches(form.get("code_verifier"), issued["code_challenge"]):
        raise invalid_grant("code_verifier does not match the code_challenge")
    return Authorized.of(issued), grant.record.family


async def redeem_refresh(
    grants: Grants, records: AuthRecords, form: Mapping[str, str], client: ClientRecord
) -> tuple[Authorized, str]:
    """What the refresh token in ``form`` carries on, rotated; invalid_grant otherwise."""
    token = _required(form, "refresh_token")
    found = await grants.find(REFRESH, token)
    if found is None or found.payload["client_id"] != client.client_id:
        raise invalid_grant("The refresh token is unknown or expired")
    if found.record.revoked:
        raise invalid_grant("The refresh token is revoked")
    authorized = _narrowed(Authorized.of(found.payload), form.get("scope"))
    if await records.user(authorized.username) is None:
        raise invalid_grant("The user is no longer registered")
    if not await grants.close(found):  # used already: by whom else but a thief, or the thief
        await grants.revoke_family(found.record.family)
        raise invalid_grant("The refresh token was used already: its authorization is revoked")
    return authorized, found.record.family


def _narrowed(authorized: Authorized, asked: str | None) -> Authorized:
    """``authorized`` with only the scopes ``asked`` (all if None); invalid_scope if wider."""
    if asked is None:
        return authorized
    narrower = asked.split()
    granted = authorized.scope.split()
    if not narrower or not set(narrower) <= set(granted):
        raise OAuthError("invalid_scope", "A refresh may only narrow the granted scopes")
    kept = " ".join(scope for scope in granted if scope in narrower)
    return Authorized.of({**authorized.payload(), "scope": kept})

"""Token introspection (RFC 7662) and revocation (RFC 7009) for the built-in server's tokens.

Both take the client's authentication as the token endpoint does. A confidential client
(a resource server, a backend) may introspect any token; a public app only tokens
issued to it. An access token is active while its signature, issuer, audience and
lifetime hold; a refresh token while it is unused, unrevoked and unexpired.

Revoking a refresh token revokes its family: every refresh token rotated from the same
authorization. Revoking an access token (a self-contained JWT) puts its ``jti`` on the
store's list of revoked tokens, which every server process on the store honours within
seconds (server.auth.revocations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.auth.grants import Grants
from server.auth.oauth import invalid_request
from server.auth.refresh_tokens import REFRESH
from server.auth.tokens import InvalidToken, TokenVerifier, unverified
from server.storage.auth_port import ClientRecord

INACTIVE: dict[str, Any] = {"active": False}


def _token(form: Mapping[str, str]) -> str:
    token = form.get("token")
    if not token:
        raise invalid_request("token is missing")
    return token


async def introspect(
    form: Mapping[str, str], client: ClientRecord, verifier: TokenVerifier, grants: Grants
) -> dict[str, Any]:
    """The RFC 7662 answer for the token in ``form``, asked by ``client``."""
    token = _token(form)
    answer = await _access_token(token, verifier) or await _refresh_token(token, grants)
    if answer is None:
        return INACTIVE
    if client.public and answer.get("client_id") != client.client_id:
        return INACTIVE
    return answer


async def _access_token(token: str, verifier: TokenVerifier) -> dict[str, Any] | None:
    try:
        claims = await verifier.verify(token)
        payload = unverified(token)[1]
    except InvalidToken:
        return None
    answer: dict[str, Any] = {
        "active": True,
        "token_type": "Bearer",
        "scope": claims.scope,
        "client_id": claims.client_id,
        "iss": claims.issuer,
        "exp": claims.expires,
    }
    for name in ("sub", "aud", "iat", "jti", "patient", "fhirUser"):
        if name in payload:
            answer[name] = payload[name]
    return answer


async def _refresh_token(token: str, grants: Grants) -> dict[str, Any] | None:
    grant = await grants.find(REFRESH, token)
    if grant is None or grant.record.used or grant.record.revoked:
        return None
    payload = grant.payload
    answer: dict[str, Any] = {
        "active": True,
        "token_type": "refresh_token",
        "scope": payload["scope"],
        "client_id": payload["client_id"],
        "sub": payload["username"],
        "exp": grant.record.expires,
    }
    if payload.get("patient"):
        answer["patient"] = payload["patient"]
    return answer


async def revoke(
    form: Mapping[str, str], client: ClientRecord, verifier: TokenVerifier, grants: Grants
) -> None:
    """Revoke the token in ``form`` if it was issued to ``client``.

    A refresh token is revoked with its family; an access token by its ``jti``
    (server.auth.revocations). A token that is unknown, inactive already or another
    client's is left alone, answered like a revoked one (RFC 7009 section 2.2).
    """
    token = _token(form)
    grant = await grants.find(REFRESH, token)
    if grant is not None:
        if grant.payload["client_id"] == client.client_id:
            await grants.revoke_family(grant.record.family)
        return
    if verifier.revoked is None:
        return
    try:
        claims = await verifier.verify(token)
    except InvalidToken:
        return
    if claims.client_id == client.client_id:
        await verifier.revoked.revoke(claims)

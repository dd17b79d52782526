"""The console as a SMART app of the built-in authorization server: the authorization
code flow with PKCE (S256), refresh before the access token runs out, revocation on
sign-out. The client is ``fhirport-console`` (server.auth.console_client): public,
always registered, its redirect URI ``/signed-in`` on the server's own origin.

Token requests go to ``/auth/token`` in-process like every other API call, and their
answers stay in the server-side session.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request

from server.api.public_urls import public_base
from server.auth.console_client import CONSOLE_CLIENT_ID, CONSOLE_REDIRECT_PATH, CONSOLE_SCOPE
from server.auth.id_tokens import unverified_claims
from server.auth.issuers import server_root
from server.console.api_client import FhirApi
from server.console.sessions import Session, renew

FORM: Final = {"Content-Type": "application/x-www-form-urlencoded"}
PENDING_LIMIT: Final = 5  # sign-ins started in one session and not finished (tabs)
REFRESH_MARGIN: Final = 15.0  # seconds before expiry a token is renewed


def redirect_uri(request: Request) -> str:
    return server_root(public_base(request)) + CONSOLE_REDIRECT_PATH


def authorize_url(request: Request, session: Session, target: str) -> str:
    """Where to send the browser to sign in; the state and verifier stay in ``session``."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    while len(session.pending) >= PENDING_LIMIT:
        session.pending.pop(next(iter(session.pending)))
    session.pending[state] = {"verifier": verifier, "next": target}
    query = {
        "response_type": "code",
        "client_id": CONSOLE_CLIENT_ID,
        "redirect_uri": redirect_uri(request),
        "scope": CONSOLE_SCOPE,
        "state": state,
        "aud": public_base(request),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    return f"{server_root(public_base(request))}/auth/authorize?{urlencode(query)}"


async def _token_request(api: FhirApi, form: dict[str, str]) -> dict[str, Any] | None:
    answer = await api.call("POST", "/auth/token", content=urlencode(form), headers=FORM)
    if not answer.ok or not isinstance(answer.body, dict) or "access_token" not in answer.body:
        return None
    return answer.body


async def exchange(
    api: FhirApi, request: Request, code: str, verifier: str
) -> dict[str, Any] | None:
    """The token answer for an authorization code, None if the server refused it."""
    return await _token_request(
        api,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri(request),
            "client_id": CONSOLE_CLIENT_ID,
            "code_verifier": verifier,
        },
    )


def user_of(token: dict[str, Any]) -> str | None:
    """Whom the id_token names: "sub (Type/id)" from its ``sub`` and ``fhirUser``."""
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        return None
    claims = unverified_claims(id_token)
    fhir_user = str(claims.get("fhirUser") or "")
    local = "/".join(fhir_user.rstrip("/").split("/")[-2:]) if fhir_user else ""
    subject = str(claims.get("sub") or "")
    return f"{subject} ({local})" if subject and local else subject or local or None


def due(session: Session) -> bool:
    """True when the session's access token has run out, or nearly, and can be renewed."""
    expires = session.token_expires
    return (
        session.refresh_token is not None
        and expires is not None
        and expires - time.monotonic() < REFRESH_MARGIN
    )


async def refresh(api: FhirApi, session: Session) -> None:
    """Renew the session's access token; on refusal the session is signed out."""
    async with session.refreshing:
        if not due(session) or session.refresh_token is None:
            return  # another request of this session renewed it meanwhile
        token = await _token_request(
            api,
            {
                "grant_type": "refresh_token",
                "refresh_token": session.refresh_token,
                "client_id": CONSOLE_CLIENT_ID,
            },
        )
        if token is None:
            session.token = session.refresh_token = None
            return
        renew(session, token["access_token"], token.get("expires_in"), token.get("refresh_token"))


async def revoke(api: FhirApi, session: Session) -> None:
    """Revoke the session's refresh token and its access token (RFC 7009).

    The access token would otherwise still open the API until it runs out, to anyone
    who copied it. A token another client was issued (one pasted in) is left alone
    by the server.
    """
    for token in (session.refresh_token, session.token):
        if token is not None:
            form = {"token": token, "client_id": CONSOLE_CLIENT_ID}
            await api.call("POST", "/auth/revoke", content=urlencode(form), headers=FORM)

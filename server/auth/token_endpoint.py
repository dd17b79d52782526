"""The built-in authorization server's token endpoint: SMART Backend Services.

``POST /auth/token`` with ``grant_type=client_credentials``: the client authenticates
(server.auth.client_auth), asks for scopes, and gets an access token for those of them
its registration covers (server.auth.clients.granted_scopes). The token is a JWT
signed with the server's newest key (server.auth.signing_keys): ``iss`` the server,
``aud`` its FHIR base URL, ``sub`` and ``client_id`` the client, the granted ``scope``,
a fresh ``jti``, ``iat`` and ``exp`` ``TOKEN_LIFETIME`` later. No refresh tokens: a
backend client authenticates again when its token expires.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from server.auth.client_auth import ClientAuthenticator
from server.auth.clients import granted_scopes
from server.auth.oauth import OAuthError, invalid_request
from server.auth.signing_keys import SigningKeys

TOKEN_LIFETIME = 300  # seconds


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A token request's form fields and what the server is called by the client."""

    form: Mapping[str, str]
    authorization: str | None
    token_url: str
    issuer: str  # the server's public root
    audience: str  # its public FHIR base URL


class TokenService:
    """Issue access tokens to authenticated Backend Services clients."""

    def __init__(
        self,
        clients: ClientAuthenticator,
        keys: SigningKeys,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clients = clients
        self.keys = keys
        self.clock = clock

    async def issue(self, request: TokenRequest) -> dict[str, Any]:
        """The token response (RFC 6749 section 5.1); OAuthError for any refusal."""
        grant_type = request.form.get("grant_type")
        if grant_type is None:
            raise invalid_request("grant_type is missing")
        if grant_type != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type", "Only grant_type=client_credentials is supported"
            )
        client = await self.clients.authenticate(
            request.form, request.authorization, request.token_url
        )
        requested = request.form.get("scope")
        if not requested or not requested.strip():
            raise invalid_request("scope is missing")
        granted = granted_scopes(requested, client.scope)
        if not granted:
            raise OAuthError(
                "invalid_scope", "None of the requested scopes is registered for this client"
            )
        now = int(self.clock())
        scope = " ".join(granted)
        token = await self.keys.sign(
            {
                "iss": request.issuer,
                "aud": request.audience,
                "sub": client.client_id,
                "client_id": client.client_id,
                "scope": scope,
                "jti": uuid.uuid4().hex,
                "iat": now,
                "exp": now + TOKEN_LIFETIME,
            }
        )
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": scope,
        }

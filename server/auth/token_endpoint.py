"""The built-in authorization server's token endpoint: SMART Backend Services and apps.

``POST /auth/token`` with ``grant_type=client_credentials``: the client authenticates
(server.auth.client_auth), asks for scopes, and gets an access token for those of them
its registration covers (server.auth.clients.granted_scopes). The token is a JWT
signed with the server's newest key (server.auth.signing_keys): ``iss`` the server,
``aud`` its FHIR base URL, ``sub`` and ``client_id`` the client, the granted ``scope``,
a fresh ``jti``, ``iat`` and ``exp`` ``TOKEN_LIFETIME`` later. No refresh tokens: a
backend client authenticates again when its token expires.

``authorization_code`` and ``refresh_token`` are the grants of SMART apps acting for a
signed-in user (server.auth.user_grants, server.auth.user_tokens); the service also
holds the authorization endpoint's parts (``authorizer``, ``launches``) and the count of
failed sign-ins per address (``throttle``) so the routes reach all of the built-in
server through one dependency.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from server.auth.address_throttle import AddressThrottle
from server.auth.authorize import Authorizer
from server.auth.client_auth import ClientAuthenticator
from server.auth.clients import granted_scopes
from server.auth.console_client import console_client
from server.auth.grants import Grants
from server.auth.launch_contexts import LaunchContexts
from server.auth.oauth import OAuthError, invalid_request
from server.auth.signing_keys import SigningKeys
from server.auth.user_grants import redeem_code, redeem_refresh
from server.auth.user_tokens import Authorized, user_token_response
from server.storage.auth_port import ClientRecord

TOKEN_LIFETIME = 300  # seconds


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A token request's form fields and what the server is called by the client."""

    form: Mapping[str, str]
    authorization: str | None
    token_url: str
    issuer: str  # the server's public root
    audience: str  # its public FHIR base URL


USER_GRANTS = ("authorization_code", "refresh_token")


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
        self.records = clients.records
        self.grants = Grants(self.records, clock=clock)
        self.launches = LaunchContexts(self.records, self.grants)
        self.authorizer = Authorizer(self.records, self.grants, self.launches)
        self.throttle = AddressThrottle(self.records, clock=clock)

    async def issue(self, request: TokenRequest) -> dict[str, Any]:
        """The token response (RFC 6749 section 5.1); OAuthError for any refusal."""
        grant_type = request.form.get("grant_type")
        if grant_type is None:
            raise invalid_request("grant_type is missing")
        if grant_type in USER_GRANTS:
            return await self._user_grant(request)
        if grant_type != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type",
                "grant_type must be client_credentials, authorization_code or refresh_token",
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

    async def authorized_by(self, request: TokenRequest) -> tuple[Authorized, str, ClientRecord]:
        """The authorization a code or refresh token request redeems, its family, and the
        app that redeems it."""
        client = await self.clients.authenticate_app(
            request.form,
            request.authorization,
            request.token_url,
            builtin=console_client(request.issuer),
        )
        if request.form.get("grant_type") == "authorization_code":
            authorized, family = await redeem_code(self.grants, request.form, client)
        else:
            authorized, family = await redeem_refresh(
                self.grants, self.records, request.form, client
            )
        return authorized, family, client

    async def _user_grant(self, request: TokenRequest) -> dict[str, Any]:
        authorized, family, client = await self.authorized_by(request)
        return await user_token_response(
            authorized,
            family,
            keys=self.keys,
            grants=self.grants,
            issuer=request.issuer,
            audience=request.audience,
            id_token_alg=client.id_token_alg,
        )

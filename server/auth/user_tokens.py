"""The token response for a user's authorization: access token, ID token, refresh token.

The access token is a JWT like a Backend Services client's (server.auth.token_endpoint)
with the user's launch context added: ``patient`` when a patient is in context,
``fhirUser`` (an absolute URL) for the signed-in user, ``sub`` their name. The gate
(server.auth.access) confines ``patient/`` scopes to that ``patient`` as for any issuer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from server.auth.grants import Grants
from server.auth.id_tokens import id_token
from server.auth.refresh_tokens import issue_refresh
from server.auth.signing_keys import ID_TOKEN_ALGORITHM, SigningKeys

ACCESS_TOKEN_LIFETIME = 300  # seconds: a refresh token keeps a longer session going


@dataclass(frozen=True, slots=True)
class Authorized:
    """What a user allowed an app: scopes granted, who they are, the patient in context."""

    client_id: str
    scope: str
    username: str
    fhir_user: str
    patient: str | None = None
    nonce: str | None = None
    auth_time: int | None = None

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Authorized:
        return cls(**{name: payload.get(name) for name in cls.__slots__})  # type: ignore[arg-type]

    def payload(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


async def user_token_response(
    authorized: Authorized,
    family: str,
    *,
    keys: SigningKeys,
    grants: Grants,
    issuer: str,
    audience: str,
    id_token_alg: str | None = None,
) -> dict[str, Any]:
    """The token endpoint's answer for ``authorized`` (a code or refresh token redeemed);
    ``id_token_alg`` the app's registered ID token algorithm (None: RS256)."""
    now = grants.now()
    scopes = authorized.scope.split()
    fhir_user = f"{audience}/{authorized.fhir_user}"
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": authorized.username,
        "client_id": authorized.client_id,
        "scope": authorized.scope,
        "fhirUser": fhir_user,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + ACCESS_TOKEN_LIFETIME,
    }
    if authorized.patient is not None:
        claims["patient"] = authorized.patient
    answer: dict[str, Any] = {
        "access_token": await keys.sign(claims),
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "scope": authorized.scope,
    }
    if authorized.patient is not None:
        answer["patient"] = authorized.patient
    if "openid" in scopes:
        answer["id_token"] = await id_token(
            keys,
            issuer=issuer,
            client_id=authorized.client_id,
            username=authorized.username,
            fhir_user=fhir_user if "fhirUser" in scopes else None,
            nonce=authorized.nonce,
            auth_time=authorized.auth_time,
            now=now,
            algorithm=id_token_alg or ID_TOKEN_ALGORITHM,
        )
    refresh = await issue_refresh(grants, authorized.payload(), scopes, family)
    if refresh is not None:
        answer["refresh_token"] = refresh
    return answer

"""OpenID Connect ID tokens for apps that ask ``openid`` (SMART App Launch 2.x, sso-openid-connect).

Signed RS256 with the server's RSA key (OpenID Connect's default algorithm, which every
relying party supports), or ES256 for an app registered so (the access tokens are
ES256); ``iss`` the server, ``sub`` the user's name, ``aud`` the app's client id,
``nonce`` as the app sent it, and, when the app asked ``fhirUser``, ``fhirUser``: the
absolute URL of the user's own FHIR resource.
"""

from __future__ import annotations

from typing import Any

from server.auth.signing_keys import ID_TOKEN_ALGORITHM, SigningKeys
from server.auth.tokens import InvalidToken, unverified

ID_TOKEN_LIFETIME = 300  # seconds


async def id_token(
    keys: SigningKeys,
    *,
    issuer: str,
    client_id: str,
    username: str,
    fhir_user: str | None,
    nonce: str | None,
    auth_time: int | None,
    now: int,
    algorithm: str = ID_TOKEN_ALGORITHM,
) -> str:
    """A signed ID token for the user ``username`` and the app ``client_id``."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": username,
        "aud": client_id,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
    }
    if fhir_user is not None:
        claims["fhirUser"] = fhir_user
    if nonce is not None:
        claims["nonce"] = nonce
    if auth_time is not None:
        claims["auth_time"] = auth_time
    return await keys.sign(claims, algorithm)


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of an ID token this server just issued, read without checking its signature.

    For the server's own console, which got the token straight from the token endpoint;
    anyone else verifies it with the keys at ``jwks_uri``. ValueError if it is no JWT.
    """
    try:
        return unverified(token)[1]
    except InvalidToken as exc:
        raise ValueError(str(exc)) from None

"""How the token endpoint knows which client asks: a signed assertion or HTTP Basic.

``private_key_jwt`` (SMART Backend Services, RFC 7523): ``client_assertion`` is a JWT
the client signed with a key of its registered JWKS (or JWKS URL), chosen by ``kid``;
``iss`` and ``sub`` are the client id, ``aud`` the token endpoint's URL, ``exp`` at most
``MAX_ASSERTION_LIFETIME`` ahead, and its ``jti`` must not have been seen within its
lifetime (the store decides, server.storage.auth_port.AuthRecords.claim_jti, so a
replay to another process on the same store fails too).

``client_secret_basic`` (RFC 6749 section 2.3.1): ``Authorization: Basic`` with the
form-encoded client id and secret, checked against the stored scrypt hash off the loop.

Every failure is ``invalid_client`` (401); the description says what was wrong, except
that an unknown client and a wrong secret read the same.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from urllib.parse import unquote_plus

import orjson
from joserfc.jwk import Key, KeySet

from server.auth.jwks import JwksKeys
from server.auth.oauth import OAuthError, invalid_client, invalid_request, too_many
from server.auth.rate_limit import RateLimiter
from server.auth.secrets import verify_secret
from server.auth.tokens import (
    SKEW,
    InvalidToken,
    check_audience,
    check_lifetime,
    check_signature,
    unverified,
)
from server.storage.auth_port import AuthRecords, ClientRecord

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 300  # seconds ahead of now, as SMART Backend Services requires
_UNKNOWN = "The client is unknown or its credentials are wrong"


class _InlineKeys:
    """A client's registered JWKS document, by kid."""

    def __init__(self, document: str) -> None:
        self._keys = {k.kid: k for k in KeySet.import_key_set(orjson.loads(document)) if k.kid}

    async def key(self, kid: str) -> Key | None:
        return self._keys.get(kid)


class ClientAuthenticator:
    """Authenticate token requests against the registered clients."""

    def __init__(
        self,
        records: AuthRecords,
        limiter: RateLimiter,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.records = records
        self.limiter = limiter
        self.clock = clock
        self._remote: dict[tuple[str, str], JwksKeys] = {}

    async def authenticate(
        self, form: Mapping[str, str], authorization: str | None, token_url: str
    ) -> ClientRecord:
        """The client the request authenticates as; OAuthError otherwise."""
        assertion = form.get("client_assertion")
        assertion_type = form.get("client_assertion_type")
        if assertion is not None or assertion_type is not None:
            if authorization is not None:
                raise invalid_request("Use one client authentication method, not two")
            if assertion_type != ASSERTION_TYPE or not assertion:
                raise invalid_request(f"client_assertion_type must be {ASSERTION_TYPE}")
            return await self._by_assertion(assertion, form.get("client_id"), token_url)
        if authorization is not None:
            return await self._by_secret(authorization)
        raise invalid_client("No client authentication: send a client_assertion or HTTP Basic")

    async def authenticate_app(
        self,
        form: Mapping[str, str],
        authorization: str | None,
        token_url: str,
        builtin: ClientRecord | None = None,
    ) -> ClientRecord:
        """The app a user-grant request comes from: a confidential one authenticated as for
        client_credentials, a public one (``builtin`` among them) named by ``client_id``."""
        if authorization is not None or "client_assertion" in form:
            return await self.authenticate(form, authorization, token_url)
        client_id = form.get("client_id")
        if not client_id:
            raise invalid_client("No client authentication and no client_id")
        if builtin is not None and client_id == builtin.client_id:
            return builtin
        client = await self.records.client(client_id)
        if client is None:
            raise invalid_client(_UNKNOWN)
        if not client.public:
            raise invalid_client("This client is confidential: it must authenticate")
        return client

    async def _client(self, client_id: str, *, basic: bool = False) -> ClientRecord:
        wait = self.limiter.retry_after(client_id)
        if wait is not None:
            raise too_many("Too many token requests from this client; retry later", wait)
        client = await self.records.client(client_id)
        if client is None:
            raise invalid_client(_UNKNOWN, basic=basic)
        return client

    async def _by_assertion(
        self, assertion: str, form_client_id: str | None, token_url: str
    ) -> ClientRecord:
        try:
            signed, claims = unverified(assertion)
        except InvalidToken as exc:
            raise invalid_client(f"client_assertion: {exc}") from None
        client_id = claims.get("iss")
        if not isinstance(client_id, str) or claims.get("sub") != client_id:
            raise invalid_client("client_assertion: iss and sub must both be the client id")
        if form_client_id is not None and form_client_id != client_id:
            raise invalid_client("client_id does not match the client_assertion")
        client = await self._client(client_id)
        now = self.clock()
        try:
            await check_signature(signed, self._keys_of(client))
            check_audience(claims.get("aud"), (token_url,))
            check_lifetime(claims, now)
        except InvalidToken as exc:
            raise invalid_client(f"client_assertion: {exc}") from None
        expires = claims["exp"]
        if expires > now + MAX_ASSERTION_LIFETIME + SKEW:
            raise invalid_client("client_assertion: exp is more than five minutes ahead")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise invalid_client("client_assertion: jti is missing")
        # Remembered past exp by the skew: until then a replay would pass the exp check.
        if not await self.records.claim_jti(client_id, jti, int(expires) + SKEW, int(now)):
            raise invalid_client("client_assertion: this jti has been used already")
        return client

    def _keys_of(self, client: ClientRecord) -> _InlineKeys | JwksKeys:
        if client.jwks is not None:
            return _InlineKeys(client.jwks)
        if client.jwks_url is None:
            raise invalid_client("This client authenticates with a secret (HTTP Basic)")
        cache_key = (client.client_id, client.jwks_url)
        keys = self._remote.get(cache_key)
        if keys is None:
            keys = self._remote[cache_key] = JwksKeys(client.jwks_url)
        return keys

    async def _by_secret(self, authorization: str) -> ClientRecord:
        client_id, secret = _basic_credentials(authorization)
        client = await self._client(client_id, basic=True)
        if client.secret_hash is None or not await verify_secret(secret, client.secret_hash):
            raise invalid_client(_UNKNOWN, basic=True)
        return client


def named_client(form: Mapping[str, str], authorization: str | None) -> str | None:
    """The client id a token request names, not yet authenticated (for its audit record)."""
    assertion = form.get("client_assertion")
    if assertion is not None:
        try:
            issuer = unverified(assertion)[1].get("iss")
        except InvalidToken:
            return form.get("client_id")
        return issuer if isinstance(issuer, str) else form.get("client_id")
    if authorization is not None:
        try:
            return _basic_credentials(authorization)[0]
        except OAuthError:
            return None
    return form.get("client_id")


def _basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise invalid_client("Authorization must be Basic (client_secret_basic)", basic=True)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_client("Authorization: Basic is not base64", basic=True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise invalid_client("Authorization: Basic needs client_id:client_secret", basic=True)
    # Both parts are form-encoded before base64 (RFC 6749 section 2.3.1).
    return unquote_plus(client_id), unquote_plus(secret)

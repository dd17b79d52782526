"""Who a bearer token speaks for: signature, issuer, audience and lifetime checked.

A token is trusted when one of the configured issuers signed it (RFC 7519, RFC 7515):
its ``iss`` names a trusted issuer, its header's ``kid`` names one of that issuer's
keys and ``alg`` is one of RS256, RS384, ES256, ES384 (never ``none`` or an HMAC: a
token "signed" with a public key as an HMAC secret must not pass), its ``aud`` holds
an audience the issuer may address, and it is inside ``nbf``..``exp`` give or take
``SKEW`` seconds, and its ``jti`` has not been revoked (server.auth.revocations).
Verified tokens are remembered until they expire, so a client that sends the same
bearer again costs a dictionary lookup and a set lookup, not a signature check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key

from server.auth.claims import Claims

if TYPE_CHECKING:  # revocations imports SKEW from here
    from server.auth.revocations import RevokedTokens

ALGORITHMS = ("RS256", "RS384", "ES256", "ES384")
SKEW = 60  # seconds of clock difference tolerated on exp, nbf and iat
CACHE_SIZE = 10_000


class InvalidToken(Exception):
    """The token is malformed, wrongly signed, not for this server, or out of its lifetime."""


class KeySource(Protocol):
    """An issuer's public signing keys, by ``kid``."""

    async def key(self, kid: str) -> Key | None:
        """The key named ``kid``, or None when the issuer has no such key."""
        ...


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """An issuer whose tokens are accepted: which ``iss`` values, for which audiences."""

    keys: KeySource
    names: Callable[[str], bool]  # whether an ``iss`` value is this issuer
    audiences: Callable[[str], Collection[str]]  # what a token from that ``iss`` may address


class TokenVerifier:
    """Verify bearer tokens against the trusted issuers."""

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        *,
        clock: Callable[[], float] = time.time,
        revoked: RevokedTokens | None = None,
    ) -> None:
        """``revoked``: the ids of revoked tokens to refuse (server.auth.revocations)."""
        self.issuers = tuple(issuers)
        self.clock = clock
        self.revoked = revoked
        self._verified: dict[str, Claims] = {}

    async def verify(self, token: str) -> Claims:
        """The token's claims; InvalidToken when it must not be trusted."""
        now = self.clock()
        revoked = self.revoked
        if revoked is not None and now >= revoked.fresh_until:
            await revoked.refresh(now)
        claims = self._verified.get(token)
        if claims is not None and now >= claims.expires + SKEW:
            del self._verified[token]
            claims = None
        if claims is None:
            claims = await self._check(token, now)
            self._remember(token, claims)
        if revoked is not None and claims in revoked:
            raise InvalidToken("The token has been revoked")
        return claims

    async def _check(self, token: str, now: float) -> Claims:
        signed, payload = unverified(token)
        issuer_name = payload.get("iss")
        issuer = self._issuer(issuer_name)
        await check_signature(signed, issuer.keys)
        assert isinstance(issuer_name, str)  # _issuer matched it
        check_audience(payload.get("aud"), issuer.audiences(issuer_name))
        check_lifetime(payload, now)
        return claims_of(payload)

    def _issuer(self, name: object) -> TrustedIssuer:
        if isinstance(name, str):
            for issuer in self.issuers:
                if issuer.names(name):
                    return issuer
        raise InvalidToken(f"Tokens issued by {name!r} are not trusted here")

    def _remember(self, token: str, claims: Claims) -> None:
        if len(self._verified) >= CACHE_SIZE:
            # The first remembered is the likeliest expired; a live one forgotten is only
            # checked again.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = claims


def unverified(token: str) -> tuple[jws.CompactSignature, dict[str, Any]]:
    """The signed token and its payload, neither trusted yet; InvalidToken if malformed."""
    try:
        signed = jws.extract_compact(token.encode("ascii"))
        payload: Any = orjson.loads(signed.payload)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidToken("The token is not a signed JWT") from exc
    if not isinstance(payload, dict):
        raise InvalidToken("The token's payload is not a JSON object")
    return signed, payload


async def check_signature(signed: jws.CompactSignature, keys: KeySource) -> None:
    """InvalidToken unless one of ``keys``, by the header's kid, signed it with an ALGORITHM."""
    header = signed.headers()
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise InvalidToken(f"Tokens signed with {algorithm!r} are not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidToken("The token's header names no key (kid)")
    key = await keys.key(kid)
    if key is None:
        raise InvalidToken(f"The issuer has no key {kid!r}")
    try:
        valid = jws.validate_compact(signed, key, algorithms=[algorithm])
    except JoseError as exc:
        raise InvalidToken(f"The key {kid!r} does not verify {algorithm}") from exc
    if not valid:
        raise InvalidToken("The token's signature is not valid")


def check_audience(audience: object, accepted: Collection[str]) -> None:
    """InvalidToken unless ``aud`` (a string or a list) names one of ``accepted``."""
    given = [audience] if isinstance(audience, str) else audience
    if not isinstance(given, list) or not any(a in accepted for a in given):
        raise InvalidToken(f"The token is not addressed to this server (aud {audience!r})")


def check_lifetime(payload: dict[str, Any], now: float) -> None:
    """InvalidToken unless ``now`` is within ``nbf``..``exp``, give or take SKEW."""
    expires = payload.get("exp")
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise InvalidToken("The token has no expiry (exp)")
    if now >= expires + SKEW:
        raise InvalidToken("The token has expired")
    not_before = payload.get("nbf")
    if not_before is None:
        return
    if not isinstance(not_before, int | float) or now < not_before - SKEW:
        raise InvalidToken("The token is not valid yet (nbf)")


def _text(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return value if isinstance(value, str) else None


def claims_of(payload: dict[str, Any]) -> Claims:
    """The Claims of a verified payload (``client_id``, else ``azp``, else ``sub``)."""
    subject = _text(payload, "sub")
    client_id = _text(payload, "client_id") or _text(payload, "azp") or subject
    if client_id is None:
        raise InvalidToken("The token names no client (client_id, azp or sub)")
    return Claims(
        issuer=payload["iss"],
        client_id=client_id,
        scope=_text(payload, "scope") or "",
        expires=int(payload["exp"]),
        patient=_text(payload, "patient"),
        fhir_user=_text(payload, "fhirUser"),
        subject=subject,
        token_id=_text(payload, "jti"),
    )

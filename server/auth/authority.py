"""The access-control parts of one server, built on its open store.

The token verifier trusts the built-in issuer (the store's signing keys) and, when
configured, the external one, and refuses the tokens revoked on the store; the token
service is the built-in authorization server.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from server.auth.client_auth import ClientAuthenticator
from server.auth.issuers import PublicOrigins, builtin_issuer, configured_issuers
from server.auth.rate_limit import RateLimiter
from server.auth.revocations import RevokedTokens
from server.auth.signing_keys import SigningKeys, ensure_signing_key
from server.auth.token_endpoint import TokenService
from server.auth.tokens import TokenVerifier
from server.settings import Settings
from server.storage.factory import open_auth_records
from server.storage.port import Store


@dataclass(frozen=True, slots=True)
class Authority:
    """Who a token speaks for (``tokens``), and the token endpoint's service."""

    tokens: TokenVerifier
    token_service: TokenService


async def open_authority(
    store: Store, settings: Settings, fhir_bases: Collection[str], hosts: PublicOrigins
) -> Authority:
    """Build the verifier and the token service on ``store``, making its first key if needed."""
    records = await open_auth_records(store)
    await ensure_signing_key(records)
    keys = SigningKeys(records)
    issuers = [builtin_issuer(keys, hosts), *configured_issuers(settings, fhir_bases)]
    return Authority(
        tokens=TokenVerifier(issuers, revoked=RevokedTokens(records)),
        token_service=TokenService(ClientAuthenticator(records, RateLimiter()), keys),
    )

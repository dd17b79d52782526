"""The issuers a server trusts, built from its settings.

The external issuer (``--auth-issuer``, ``--auth-jwks``, ``--auth-audience``) is an
OIDC provider whose access tokens name it exactly as configured and address the
configured audience, or, without one, one of the server's FHIR base URLs.
"""

from __future__ import annotations

from collections.abc import Collection

from server.auth.jwks import JwksKeys
from server.auth.tokens import TrustedIssuer
from server.settings import Settings


def external_issuer(
    issuer: str, jwks: str, audience: str | None, fhir_bases: Collection[str]
) -> TrustedIssuer:
    """Trust tokens from ``issuer``, signed with a key of ``jwks`` (a URL or a file)."""
    audiences = frozenset([audience] if audience else fhir_bases)
    return TrustedIssuer(
        keys=JwksKeys(jwks),
        names=issuer.__eq__,
        audiences=lambda _issuer: audiences,
    )


def configured_issuers(settings: Settings, fhir_bases: Collection[str]) -> list[TrustedIssuer]:
    """The external issuer of ``settings``, when one is configured."""
    if settings.auth_issuer is None and settings.auth_jwks is None:
        return []
    if settings.auth_issuer is None or settings.auth_jwks is None:
        raise ValueError("--auth-issuer and --auth-jwks go together: set both or neither")
    return [
        external_issuer(
            settings.auth_issuer, settings.auth_jwks, settings.auth_audience, fhir_bases
        )
    ]

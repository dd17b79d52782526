"""The issuers a server trusts, built from its settings.

The built-in issuer is this server: its ``iss`` is the server's public root (the FHIR
base URL without its ``/fhir``, ``server_root``), its tokens address that FHIR base, and
its keys are the store's (server.auth.signing_keys). Which roots are this server's is
the Host policy's answer (server.api.public_urls): ``--base-url``'s when set, otherwise
any scheme and allowed Host, the same rule that builds the server's links.

The external issuer (``--auth-issuer``, ``--auth-jwks``, ``--auth-audience``) is an
OIDC provider whose access tokens name it exactly as configured and address the
configured audience, or, without one, one of the server's FHIR base URLs.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol
from urllib.parse import urlsplit

from server.auth.jwks import JwksKeys
from server.auth.tokens import KeySource, TrustedIssuer
from server.errors import InvalidRequest
from server.settings import Settings

FHIR_SUFFIX = "/fhir"


class PublicOrigins(Protocol):
    """The Host policy, as the built-in issuer asks it (server.api.public_urls.HostPolicy)."""

    configured_base: str | None

    def origin(self, scope: Any) -> str: ...


def server_root(fhir_base: str) -> str:
    """The server's public root for a FHIR base URL: its ``iss`` and where ``/auth`` is."""
    return fhir_base.removesuffix(FHIR_SUFFIX)


def builtin_issuer(keys: KeySource, hosts: PublicOrigins) -> TrustedIssuer:
    """Trust this server's own tokens, under whichever public root it was asked by."""

    def fhir_base(issuer: str) -> str | None:
        if hosts.configured_base is not None:
            base = hosts.configured_base
            return base if server_root(base) == issuer else None
        parts = urlsplit(issuer)
        if parts.scheme not in ("http", "https") or issuer != f"{parts.scheme}://{parts.netloc}":
            return None
        request = {
            "type": "http",
            "scheme": parts.scheme,
            "headers": [(b"host", parts.netloc.encode())],
        }
        try:
            origin = hosts.origin(request)
        except (InvalidRequest, UnicodeError):
            return None
        return origin + FHIR_SUFFIX if origin == issuer else None

    return TrustedIssuer(
        keys=keys,
        names=lambda issuer: fhir_base(issuer) is not None,
        audiences=lambda issuer: tuple(filter(None, [fhir_base(issuer)])),
    )


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

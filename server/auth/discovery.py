"""What the built-in authorization server says about itself (SMART App Launch 2.x conformance,
OpenID Connect Discovery), from the public root it is reached at."""

from __future__ import annotations

from typing import Any

from server.auth.signing_keys import ID_TOKEN_ALGORITHMS
from server.auth.tokens import ALGORITHMS

TOKEN_PATH = "/auth/token"  # noqa: S105 - a path, not a secret
JWKS_PATH = "/auth/jwks"
AUTHORIZE_PATH = "/auth/authorize"
INTROSPECT_PATH = "/auth/introspect"
REVOKE_PATH = "/auth/revoke"
LAUNCH_PATH = "/auth/launch"

_APP_SCOPES = ["openid", "fhirUser", "launch", "launch/patient", "offline_access", "online_access"]
_RESOURCE_SCOPES = [
    f"{context}/*.{permission}"
    for context in ("system", "user", "patient")
    for permission in ("cruds", "rs", "read", "write")
]
CAPABILITIES = [
    "launch-ehr",
    "launch-standalone",
    "context-ehr-patient",
    "context-standalone-patient",
    "client-public",
    "client-confidential-asymmetric",
    "client-confidential-symmetric",
    "sso-openid-connect",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
]


def _provider(root: str) -> dict[str, Any]:
    """What both documents say alike: who issues, where to authorize, get tokens and keys."""
    return {
        "issuer": root,
        "jwks_uri": root + JWKS_PATH,
        "authorization_endpoint": root + AUTHORIZE_PATH,
        "token_endpoint": root + TOKEN_PATH,
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    }


def smart_configuration_document(root: str) -> dict[str, Any]:
    """``/.well-known/smart-configuration``."""
    return {
        **_provider(root),
        "introspection_endpoint": root + INTROSPECT_PATH,
        "revocation_endpoint": root + REVOKE_PATH,
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "none"],
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "scopes_supported": [*_APP_SCOPES, *_RESOURCE_SCOPES],
        "capabilities": CAPABILITIES,
    }


def openid_configuration_document(root: str) -> dict[str, Any]:
    """``/.well-known/openid-configuration``, as far as the ID tokens this server issues go."""
    return {
        **_provider(root),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ID_TOKEN_ALGORITHMS),
        "scopes_supported": ["openid", "fhirUser"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "auth_time", "fhirUser"],
    }

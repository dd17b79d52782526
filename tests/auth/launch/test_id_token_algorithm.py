"""ID tokens are signed RS256, OpenID Connect's default, or ES256 for an app registered
so (``id_token_signed_response_alg``); access tokens stay ES256."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from server.auth.clients import register_client
from server.auth.tokens import unverified
from server.storage.factory import open_auth_records
from tests.auth.launch.flow import (
    AUTHORIZE_URL,
    FHIR_BASE,
    REDIRECT_URI,
    TOKEN_URL,
    LaunchApp,
    redirected_to,
)

pytestmark = pytest.mark.anyio


async def _tokens(served: LaunchApp, client_id: str | None = None) -> dict[str, Any]:
    scope = "openid fhirUser user/*.rs"
    async with served.oauth(client_id, scope=scope) as oauth, served.browser() as b:
        verifier = "i" * 60
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=verifier, aud=FHIR_BASE, nonce="n-1"
        )
        back = redirected_to(await b.approve(await b.sign_in(await b.open(url), "drho")))
        token: dict[str, Any] = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier=verifier
        )
    return token


async def test_an_id_token_is_rs256_and_verifies_with_the_published_keys(
    served: LaunchApp,
) -> None:
    token = await _tokens(served)
    published = KeySet.import_key_set((await served.http.get("/auth/jwks")).json())
    id_token = jwt.decode(token["id_token"], published, algorithms=["RS256"])
    assert id_token.header["alg"] == "RS256"
    assert id_token.claims["nonce"] == "n-1"
    assert id_token.claims["aud"] == served.client_id
    assert unverified(token["access_token"])[0].headers()["alg"] == "ES256"

    discovered = (await served.http.get("/.well-known/openid-configuration")).json()
    assert discovered["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]


async def test_an_app_registered_for_es256_gets_es256_id_tokens(served: LaunchApp) -> None:
    records = await open_auth_records(served.runtime.store)
    app, _ = await register_client(
        records,
        "es-app",
        "openid fhirUser user/*.rs",
        redirect_uris=[REDIRECT_URI],
        public=True,
        id_token_alg="ES256",
    )
    token = await _tokens(served, app.client_id)
    published = KeySet.import_key_set((await served.http.get("/auth/jwks")).json())
    id_token = jwt.decode(token["id_token"], published, algorithms=["ES256"])
    assert id_token.claims["aud"] == app.client_id

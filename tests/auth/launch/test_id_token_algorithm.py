"""ID tokens are signed RS256, OpenID Connect's default; access tokens stay ES256."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from server.auth.tokens import unverified
from tests.auth.launch.flow import AUTHORIZE_URL, FHIR_BASE, TOKEN_URL, LaunchApp, redirected_to

pytestmark = pytest.mark.anyio


async def test_an_id_token_is_rs256_and_verifies_with_the_published_keys(
    served: LaunchApp,
) -> None:
    async with served.oauth(scope="openid fhirUser user/*.rs") as oauth, served.browser() as b:
        verifier = "i" * 60
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=verifier, aud=FHIR_BASE, nonce="n-1"
        )
        back = redirected_to(await b.approve(await b.sign_in(await b.open(url), "drho")))
        token = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier=verifier
        )

    published = KeySet.import_key_set((await served.http.get("/auth/jwks")).json())
    id_token = jwt.decode(token["id_token"], published, algorithms=["RS256"])
    assert id_token.header["alg"] == "RS256"
    assert id_token.claims["nonce"] == "n-1"
    assert id_token.claims["aud"] == served.client_id
    assert unverified(token["access_token"])[0].headers()["alg"] == "ES256"

    discovered = (await served.http.get("/.well-known/openid-configuration")).json()
    assert discovered["id_token_signing_alg_values_supported"] == ["RS256"]

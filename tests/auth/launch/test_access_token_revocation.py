"""POST /auth/revoke of an access token: the FHIR API refuses it from then on (RFC 7009)."""

from __future__ import annotations

from typing import Any

import pytest

from server.auth.clients import register_client
from server.storage.factory import open_auth_records
from tests.auth.launch.flow import (
    AUTHORIZE_URL,
    FHIR_BASE,
    TOKEN_URL,
    LaunchApp,
    redirected_to,
)

pytestmark = pytest.mark.anyio
VERIFIER = "r" * 60


async def _token(served: LaunchApp, client_id: str | None = None) -> dict[str, Any]:
    async with (
        served.oauth(client_id, scope="user/*.rs") as oauth,
        served.browser() as browser,
    ):
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        back = redirected_to(
            await browser.approve(await browser.sign_in(await browser.open(url), "drho"))
        )
        token: dict[str, Any] = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier=VERIFIER
        )
    return token


async def test_a_revoked_access_token_is_refused_at_once(served: LaunchApp) -> None:
    token = await _token(served)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await served.http.get("/fhir/Patient/pat1", headers=bearer)).status_code == 200

    form = {"token": token["access_token"], "client_id": served.client_id}
    assert (await served.http.post("/auth/revoke", data=form)).status_code == 200

    refused = await served.http.get("/fhir/Patient/pat1", headers=bearer)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    introspected = await served.http.post("/auth/introspect", data=form)
    assert introspected.json() == {"active": False}


async def test_another_client_cannot_revoke_an_apps_token(served: LaunchApp) -> None:
    records = await open_auth_records(served.runtime.store)
    other, _ = await register_client(
        records,
        "other-app",
        "user/*.rs",
        redirect_uris=["https://app.example/callback"],
        public=True,
    )
    token = await _token(served)
    form = {"token": token["access_token"], "client_id": other.client_id}
    assert (await served.http.post("/auth/revoke", data=form)).status_code == 200

    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await served.http.get("/fhir/Patient/pat1", headers=bearer)).status_code == 200

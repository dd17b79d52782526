"""One sign-in per browser: a second app's authorization skips the sign-in page until sign-out."""

from __future__ import annotations

import pytest

from tests.auth.launch.flow import AUTHORIZE_URL, FHIR_BASE, LaunchApp, redirected_to

pytestmark = pytest.mark.anyio
VERIFIER = "s" * 50


async def test_a_signed_in_browser_goes_straight_to_approval(served: LaunchApp) -> None:
    async with served.oauth(scope="openid user/*.rs") as oauth, served.browser() as browser:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        approval = await browser.sign_in(await browser.open(url), "drho")
        redirected_to(await browser.approve(approval))

        again = await browser.open(url)
        assert "Allow access?" in again.text
        assert "drho" in again.text
        assert 'for="password"' not in again.text
        # Asking for a fresh sign-in (OpenID prompt=login) shows the sign-in page.
        forced, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE, prompt="login"
        )
        assert 'for="password"' in (await browser.open(forced)).text

        signed_out = await browser.http.post("/auth/sign-out")
        assert signed_out.status_code == 200
        assert 'for="password"' in (await browser.open(url)).text

    async with served.browser() as stranger:
        assert 'for="password"' in (await stranger.open(url)).text


async def test_the_console_comes_back_signed_in_without_any_page(served: LaunchApp) -> None:
    from server.auth.console_client import CONSOLE_CLIENT_ID, CONSOLE_REDIRECT_PATH, CONSOLE_SCOPE
    from tests.auth.launch.flow import ROOT, query_of

    async with served.oauth(scope="openid user/*.rs") as app, served.browser() as browser:
        url, _ = app.create_authorization_url(AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE)
        redirected_to(await browser.approve(await browser.sign_in(await browser.open(url), "drho")))
        redirect_uri = ROOT + CONSOLE_REDIRECT_PATH
        async with served.oauth(
            CONSOLE_CLIENT_ID, scope=CONSOLE_SCOPE, redirect_uri=redirect_uri
        ) as console:
            url, state = console.create_authorization_url(
                AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
            )
            back = redirected_to(await browser.open(url))
    assert back.startswith(redirect_uri + "?")
    assert query_of(back)["state"] == state
    assert query_of(back)["code"]

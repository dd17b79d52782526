"""What the authorization server refuses, and how (RFC 6749 errors, pages, no open redirect)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from server.auth.pkce import s256
from server.auth.users import LOCKOUT_FAILURES
from tests.auth.launch.flow import (
    AUTHORIZE_URL,
    FHIR_BASE,
    PASSWORD,
    REDIRECT_URI,
    TOKEN_URL,
    Browser,
    LaunchApp,
    csrf_of,
    query_of,
    redirected_to,
)

pytestmark = pytest.mark.anyio
VERIFIER = "a-verifier-that-is-long-enough-for-pkce-rules-0123456789"


def _authorize_url(served: LaunchApp, **overrides: str) -> str:
    params = {
        "response_type": "code",
        "client_id": served.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid fhirUser user/*.rs offline_access",
        "state": "st-1",
        "aud": FHIR_BASE,
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }
    return AUTHORIZE_URL + "?" + urlencode({k: v for k, v in params.items() if v != "-"})


async def _code(browser: Browser, url: str, username: str = "drho") -> str:
    approval = await browser.sign_in(await browser.open(url), username)
    return query_of(redirected_to(await browser.approve(approval)))["code"]


def _exchange(served: LaunchApp, code: str, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": served.client_id,
        "code_verifier": VERIFIER,
        **overrides,
    }
    return {k: v for k, v in form.items() if v != "-"}


async def test_a_wrong_verifier_is_invalid_grant(served: LaunchApp) -> None:
    async with served.browser() as browser:
        code = await _code(browser, _authorize_url(served))
    wrong = _exchange(served, code, code_verifier="x" * 50)
    answer = await served.http.post(TOKEN_URL, data=wrong)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert answer.headers["cache-control"] == "no-store"
    # The code was spent by the failed attempt: the right verifier comes too late.
    again = await served.http.post(TOKEN_URL, data=_exchange(served, code))
    assert again.json()["error"] == "invalid_grant"


async def test_a_missing_verifier_is_invalid_grant(served: LaunchApp) -> None:
    async with served.browser() as browser:
        code = await _code(browser, _authorize_url(served))
    answer = await served.http.post(TOKEN_URL, data=_exchange(served, code, code_verifier="-"))
    assert answer.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain"),
        pytest.param({"code_challenge": "-"}, "invalid_request", id="no-challenge"),
        pytest.param({"code_challenge_method": "-"}, "invalid_request", id="no-method"),
        pytest.param({"aud": "https://elsewhere.example/fhir"}, "invalid_request", id="wrong-aud"),
        pytest.param({"aud": "-"}, "invalid_request", id="no-aud"),
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit"),
        pytest.param({"scope": "system/*.rs"}, "invalid_scope", id="system-scope"),
        pytest.param({"launch": "no-such-launch"}, "invalid_request", id="unknown-launch"),
    ],
)
async def test_bad_requests_go_back_to_the_app_with_an_error(
    served: LaunchApp, overrides: dict[str, str], error: str
) -> None:
    async with served.browser() as browser:
        answer = await browser.get(_authorize_url(served, **overrides))
    back = redirected_to(answer)
    assert back.startswith(REDIRECT_URI + "?")
    assert query_of(back)["error"] == error
    assert query_of(back)["state"] == "st-1"
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"redirect_uri": "https://evil.example/callback"}, id="other-host"),
        pytest.param({"redirect_uri": REDIRECT_URI + "/more"}, id="longer-path"),
        pytest.param({"redirect_uri": REDIRECT_URI + "?x=1"}, id="added-query"),
        pytest.param({"redirect_uri": "-"}, id="none"),
        pytest.param({"client_id": "unknown-app"}, id="unknown-client"),
        pytest.param({"client_id": "-"}, id="no-client"),
    ],
)
async def test_an_unregistered_redirect_is_an_error_page_never_a_redirect(
    served: LaunchApp, overrides: dict[str, str]
) -> None:
    async with served.browser() as browser:
        answer = await browser.get(_authorize_url(served, **overrides, code_challenge_method="x"))
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    assert "evil.example" not in answer.text


async def test_a_code_is_redeemed_once_and_its_reuse_revokes_what_it_gave(
    served: LaunchApp,
) -> None:
    async with served.browser() as browser:
        code = await _code(browser, _authorize_url(served))
    first = await served.http.post(TOKEN_URL, data=_exchange(served, code))
    assert first.status_code == 200, first.text
    refresh = first.json()["refresh_token"]
    second = await served.http.post(TOKEN_URL, data=_exchange(served, code))
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    refreshed = await served.http.post(
        TOKEN_URL,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": served.client_id,
        },
    )
    assert refreshed.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"redirect_uri": "http://localhost:9/other"}, id="other-redirect-uri"),
        pytest.param({"redirect_uri": ""}, id="empty-redirect-uri"),
        pytest.param({"code": "not-a-code"}, id="unknown-code"),
        pytest.param({"client_id": "another-client"}, id="other-client"),
    ],
)
async def test_a_code_is_bound_to_its_request(served: LaunchApp, overrides: dict[str, str]) -> None:
    async with served.browser() as browser:
        code = await _code(browser, _authorize_url(served))
    answer = await served.http.post(TOKEN_URL, data={**_exchange(served, code), **overrides})
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] in ("invalid_grant", "invalid_client")


async def test_a_form_without_the_pages_csrf_token_is_refused(served: LaunchApp) -> None:
    async with served.browser() as browser:
        page = await browser.open(_authorize_url(served))
        assert csrf_of(page)
        forged = await browser.http.post(
            "/auth/sign-in",
            data={"csrf_token": "guessed", "username": "drho", "password": PASSWORD},
        )
        assert forged.status_code == 403
        missing = await browser.http.post(
            "/auth/sign-in", data={"username": "drho", "password": PASSWORD}
        )
        assert missing.status_code == 403
        # Still not signed in: the real form goes on to the approval page.
        approval = await browser.sign_in(page, "drho")
        assert "Allow access?" in approval.text


async def test_a_form_from_a_browser_without_the_cookie_is_refused(served: LaunchApp) -> None:
    async with served.browser() as browser:
        page = await browser.open(_authorize_url(served))
    async with served.browser() as other:
        answer = await other.http.post(
            "/auth/sign-in",
            data={"csrf_token": csrf_of(page), "username": "drho", "password": PASSWORD},
        )
    assert answer.status_code == 400
    assert "location" not in answer.headers


async def test_repeated_wrong_passwords_lock_the_user_out(served: LaunchApp) -> None:
    async with served.browser() as browser:
        page = await browser.open(_authorize_url(served))
        for attempt in range(LOCKOUT_FAILURES):
            page = await browser.sign_in(page, "drho", f"wrong-{attempt}")
            assert page.status_code == 401
            assert "wrong" in page.text
        locked = await browser.sign_in(page, "drho")
        assert locked.status_code == 429
        assert "Too many failed sign-ins" in locked.text
        # Another user is not locked out.
        assert (await browser.sign_in(locked, "pat")).status_code == 200


async def test_the_pages_need_an_authorization_in_progress(served: LaunchApp) -> None:
    async with served.browser() as browser:
        for path in ("/auth/sign-in", "/auth/pick-patient", "/auth/approve"):
            answer = await browser.get(path)
            assert answer.status_code == 400
            assert "expired" in answer.text


async def test_a_confidential_app_must_authenticate(served: LaunchApp) -> None:
    from server.auth.clients import register_client
    from server.storage.factory import open_auth_records

    records = await open_auth_records(served.runtime.store)
    client, secret = await register_client(
        records, "portal", "openid user/*.rs", secret=True, redirect_uris=[REDIRECT_URI]
    )
    assert secret is not None
    url = _authorize_url(served, client_id=client.client_id, scope="openid user/*.rs")
    async with served.browser() as browser:
        code = await _code(browser, url)
    bare = _exchange(served, code, client_id=client.client_id)
    refused = await served.http.post(TOKEN_URL, data=bare)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    async with served.browser() as browser:
        code = await _code(browser, url)
    answer = await served.http.post(
        TOKEN_URL,
        data=_exchange(served, code, client_id="-"),
        auth=(client.client_id, secret),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "openid user/*.rs"


async def test_an_oversized_or_empty_form_is_refused_with_a_page(served: LaunchApp) -> None:
    async with served.browser() as browser:
        page = await browser.open(_authorize_url(served))
        huge = await browser.http.post(
            "/auth/sign-in",
            data={"csrf_token": csrf_of(page), "username": "drho", "password": "x" * 100_000},
        )
        assert huge.status_code == 413
        assert huge.headers["content-type"].startswith("text/html")
        empty = await browser.http.post("/auth/sign-in")
        assert empty.status_code == 400
        assert "Sign in" in (await browser.sign_in(page, "drho", "wrong")).text

"""Too many failed sign-ins from one network address: that address waits (429, Retry-After).

Counted apart from the per-user lockout: a guesser trying a new user name each time,
or a new client id at the token endpoint, is stopped too, and only at its own address.
"""

from __future__ import annotations

import httpx
import pytest

from server.auth.address_throttle import ADDRESS_FAILURES, ADDRESS_WINDOW
from server.auth.clients import register_client
from server.storage.factory import open_auth_records
from tests.auth.launch.flow import (
    AUTHORIZE_URL,
    FHIR_BASE,
    ROOT,
    Browser,
    LaunchApp,
)

pytestmark = pytest.mark.anyio
VERIFIER = "t" * 60
ELSEWHERE = ("10.0.0.9", 40000)


def _client_at(served: LaunchApp, address: tuple[str, int]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=served.app, client=address)
    return httpx.AsyncClient(transport=transport, base_url=ROOT)


def _retry_after(answer: httpx.Response) -> int:
    assert answer.status_code == 429, answer.text
    wait = int(answer.headers["retry-after"])
    assert 0 < wait <= ADDRESS_WINDOW
    return wait


async def _sign_in_page(served: LaunchApp, browser: Browser) -> httpx.Response:
    async with served.oauth(scope="user/*.rs") as oauth:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
    page = await browser.open(url)
    assert 'for="password"' in page.text
    return page


async def test_an_address_that_failed_too_often_waits_to_sign_in(served: LaunchApp) -> None:
    async with served.browser() as guesser:
        page = await _sign_in_page(served, guesser)
        for attempt in range(ADDRESS_FAILURES):
            page = await guesser.sign_in(page, f"guess-{attempt}", "not the password")
            assert page.status_code == 401
        # The right password of a user never tried, from the same address: not now.
        throttled = await guesser.sign_in(page, "drho")
        _retry_after(throttled)
        assert "Too many failed sign-ins" in throttled.text

    async with Browser(_client_at(served, ELSEWHERE)) as colleague:
        page = await _sign_in_page(served, colleague)
        approval = await colleague.sign_in(page, "drho")
        assert approval.status_code == 200
        assert "Allow access?" in approval.text


async def test_an_address_that_failed_too_often_waits_for_a_token(served: LaunchApp) -> None:
    records = await open_auth_records(served.runtime.store)
    client, secret = await register_client(records, "etl", "system/*.rs", secret=True)
    assert secret is not None
    form = {"grant_type": "client_credentials", "scope": "system/*.rs"}
    for attempt in range(ADDRESS_FAILURES):
        refused = await served.http.post(
            "/auth/token", data=form, auth=(f"guess-{attempt}", "wrong")
        )
        assert refused.json()["error"] == "invalid_client"

    throttled = await served.http.post("/auth/token", data=form, auth=(client.client_id, secret))
    _retry_after(throttled)
    assert throttled.json()["error"] == "invalid_request"
    introspect = await served.http.post(
        "/auth/introspect", data={"token": "x"}, auth=(client.client_id, secret)
    )
    _retry_after(introspect)

    async with _client_at(served, ELSEWHERE) as elsewhere:
        served_elsewhere = await elsewhere.post(
            "/auth/token", data=form, auth=(client.client_id, secret)
        )
    assert served_elsewhere.status_code == 200

"""Signing in and out, and the CSRF token every form post must carry."""

from __future__ import annotations

import httpx
import pytest

from tests.console.signing import csrf_of, sign_in

pytestmark = pytest.mark.anyio


async def test_a_signed_in_user_sees_the_home_page(smart_console: httpx.AsyncClient) -> None:
    await sign_in(smart_console, "user/*.rs")
    page = await smart_console.get("/")
    assert page.status_code == 200
    assert "Sign out" in page.text


async def test_the_token_never_reaches_the_page(smart_console: httpx.AsyncClient) -> None:
    await sign_in(smart_console, "user/*.rs")
    page = await smart_console.get("/")
    assert "eyJ" not in page.text  # no JWT, nor any part of one


async def test_a_post_without_the_csrf_token_is_refused(smart_console: httpx.AsyncClient) -> None:
    await smart_console.get("/console/sign-in")
    answer = await smart_console.post("/console/sign-in/token", data={"token": "abc", "next": "/"})
    assert answer.status_code == 403
    assert "expired" in answer.text


async def test_signing_out_ends_the_session(smart_console: httpx.AsyncClient) -> None:
    await sign_in(smart_console, "user/*.rs")
    home = await smart_console.get("/")
    answer = await smart_console.post("/console/sign-out", data={"csrf_token": csrf_of(home.text)})
    assert answer.status_code == 303
    again = await smart_console.get("/")
    assert again.status_code == 303


async def test_sign_in_goes_back_only_to_a_path_of_this_site(
    smart_console: httpx.AsyncClient,
) -> None:
    page = await smart_console.get("/console/sign-in?next=https://evil.example/")
    assert 'value="https://evil.example/"' not in page.text


async def test_a_console_path_no_page_serves_is_an_html_404(console: httpx.AsyncClient) -> None:
    page = await console.get("/console/no-such-page")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]


async def test_the_api_keeps_its_own_404(console: httpx.AsyncClient) -> None:
    answer = await console.get("/fhir/NoSuchType")
    assert answer.json()["resourceType"] == "OperationOutcome"

"""Home: the server's status and what the store holds, read through the API."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_home_shows_the_server_ready(console: httpx.AsyncClient) -> None:
    page = await console.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Ready" in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_home_sets_an_httponly_strict_session_cookie(console: httpx.AsyncClient) -> None:
    page = await console.get("/")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


async def test_with_auth_on_a_visitor_is_sent_to_sign_in(smart_console: httpx.AsyncClient) -> None:
    page = await smart_console.get("/")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/sign-in?next=")

"""Signing a test client in to the console over HTTP, as a browser would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from server.settings import Settings
from tests.auth.tokens import auth_settings, issue
from tests.conftest import running_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a console page's forms carry."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


async def sign_in(http: httpx.AsyncClient, scope: str, patient: str | None = None) -> None:
    """Sign ``http`` in with a token of the test issuer for ``scope``."""
    page = await http.get("/console/sign-in")
    answer = await http.post(
        "/console/sign-in/token",
        data={
            "csrf_token": csrf_of(page.text),
            "token": issue(scope, patient=patient),
            "next": "/",
        },
    )
    assert answer.status_code == 303, answer.text


@asynccontextmanager
async def smart_console_client(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        store=store_url,
        seed=False,
        host="127.0.0.1",
        port=8080,
        allowed_hosts=("testserver",),
        auth="smart",
        audit="all",
        **auth_settings(tmp_path),  # type: ignore[arg-type]
    )
    async with running_app(settings) as http:
        yield http

"""Signing a test client in to the console over HTTP, as a browser would."""

from __future__ import annotations

import re

import httpx

from tests.auth.tokens import issue

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

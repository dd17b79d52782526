"""Fixtures of the console's page tests: an app in-process, and signing in through HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.conftest import running_app
from tests.console.signing import smart_console_client


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    # The console reaches the store only through the API, which the API tests run per store.
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
async def console(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of an app running ``--auth none`` (the sandbox)."""
    async with running_app(settings.model_copy(update={"audit": "all"})) as http:
        yield http


@pytest.fixture
async def smart_console(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app running ``--auth smart``, trusting the test issuer's tokens."""
    async with smart_console_client(store_url, tmp_path) as http:
        yield http

"""Fixtures of the console's page tests: an app in-process, and signing in through HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.settings import Settings
from tests.auth.smart_app import smart_client


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    # The console reaches the store only through the API, which the API tests run per store.
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
async def console_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app running ``--auth none`` (the sandbox) with its audit trail on, lifespan run."""
    app = create_app(settings.model_copy(update={"audit": "all"}))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def console(console_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of ``console_app``, in-process."""
    transport = httpx.ASGITransport(app=console_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def smart_console(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app running ``--auth smart``, trusting the test issuer's tokens."""
    async with smart_client(store_url, tmp_path, audit="all") as http:
        yield http

"""An app with its audit trail at hand, and the AuditEvents it has stored."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.audit import AuditTrail
from server.settings import Settings

CLIENT_ADDRESS = "203.0.113.7"


@dataclass
class Audited:
    """An in-process client of an app, and its audit trail."""

    http: httpx.AsyncClient
    app: FastAPI

    @property
    def trail(self) -> AuditTrail:
        trail: AuditTrail = self.app.state.audit
        return trail

    async def events(self, *, flush: bool = True, **params: str) -> list[dict[str, Any]]:
        """The stored AuditEvents (matching ``params``), oldest first, after a flush.

        Read from the store, not through the API: a search of AuditEvents is itself audited.
        """
        if flush:
            await self.trail.flush()
        engine = self.app.state.search
        query = [("_count", "1000"), ("_sort", "date"), *params.items()]
        result = await engine.run(engine.parse("AuditEvent", query, lenient=False))
        return [orjson.loads(v.body) for v in result.page.versions]


@asynccontextmanager
async def opened(settings: Settings, **overrides: Any) -> AsyncIterator[Audited]:
    """An Audited on an app built from ``settings`` with ``overrides``, lifespan included."""
    app = create_app(settings.model_copy(update={"audit": "all", **overrides}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(CLIENT_ADDRESS, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Audited(http, app)


@pytest.fixture
async def audited(settings: Settings) -> AsyncIterator[Audited]:
    async with opened(settings) as value:
        yield value


def subtype(event: dict[str, Any]) -> str:
    return str(event["subtype"][0]["code"])


def entity_references(event: dict[str, Any]) -> set[str]:
    return {
        e["what"]["reference"] for e in event.get("entity", ()) if "reference" in e.get("what", {})
    }


def patients(event: dict[str, Any]) -> set[str]:
    return {
        e["what"]["reference"]
        for e in event.get("entity", ())
        if e.get("role", {}).get("code") == "1" and "what" in e
    }


def query_of(event: dict[str, Any]) -> str | None:
    for entity in event.get("entity", ()):
        if "query" in entity:
            return base64.b64decode(entity["query"]).decode()
    return None


def client_agent(event: dict[str, Any]) -> dict[str, Any]:
    agent: dict[str, Any] = event["agent"][0]
    return agent

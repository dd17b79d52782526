"""A store with a search engine over it, seeded through the server's write path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
import pytest

from hl7.er7 import Message, parse
from server.hl7v2.query.config import QueryConfig
from server.hl7v2.query.service import QueryAnswer, answer_query
from server.interactions import ResourceService
from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.port import Store
from tests.hl7_query.factories import CONFIG

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BASE = "http://testserver/fhir"


@dataclass
class Records:
    """The store under test, its search engine, and helpers to seed and query it."""

    store: Store
    engine: SearchEngine
    service: ResourceService

    async def put(self, *resources: dict[str, Any]) -> None:
        for resource in resources:
            await self.service.update(resource["resourceType"], resource["id"], dict(resource))

    async def ask(self, raw: bytes, config: QueryConfig = CONFIG) -> tuple[QueryAnswer, Message]:
        """Answer ``raw``; return the answer and the answer parsed back."""
        answer = await answer_query(parse(raw), raw, self.service, self.engine, config, NOW)
        return answer, parse(answer.message)

    async def audit_events(self) -> list[dict[str, Any]]:
        parsed = self.engine.parse("AuditEvent", [("_count", "100")], lenient=False)
        result = await self.engine.run(parsed)
        return [orjson.loads(v.body) for v in result.page.versions if v.body is not None]


@pytest.fixture
def records(store: Store) -> Records:
    engine = SearchEngine(store, (BASE,))
    service = ResourceService(store, partial(extract_index, base_urls=(BASE,)), engine)
    return Records(store, engine, service)


def names(message: Message) -> list[str]:
    """The segment names of a message, in order."""
    return [s.name for s in message.segments]


def only(segments: Sequence[Any]) -> Any:
    assert len(segments) == 1, segments
    return segments[0]

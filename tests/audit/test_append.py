"""Store.append: a batch of new resources stored as write would store them, on every store."""

from __future__ import annotations

import pytest

from server.audit.events import REST, Access, EventBuilder, interaction_code
from server.search.engine import SearchEngine
from server.storage.port import Store

pytestmark = pytest.mark.anyio
BASES = ("http://fhir.example/fhir",)


def event(n: int) -> Access:
    return Access(
        recorded=1_780_000_000_000_000 + n,
        type=REST,
        subtypes=(interaction_code("read"),),
        action="R",
        outcome="0",
        client=f"client-{n % 3}",
        address="10.0.0.1",
        entities=(f"Appointment/a{n}",),
        patients=(f"p{n % 5}",),
    )


async def test_appended_resources_read_and_search_as_written(store: Store) -> None:
    builder = EventBuilder(BASES[0], BASES)
    writes = [builder.write(event(n), f"ev{n}") for n in range(40)]

    await store.append(writes)

    for write in writes:
        stored = await store.read("AuditEvent", write.version.id)
        assert stored is not None
        assert (stored.version, stored.body) == (1, write.version.body)
        assert isinstance(stored.body, bytes)
    engine = SearchEngine(store, BASES)
    found = await engine.run(
        engine.parse("AuditEvent", [("patient", "Patient/p2"), ("_count", "100")], lenient=False)
    )
    assert sorted(v.id for v in found.page.versions) == [
        f"ev{n}" for n in (12, 17, 2, 22, 27, 32, 37, 7)
    ]
    history = await store.vread("AuditEvent", "ev3", 1)
    assert history is not None
    assert history.body == writes[3].version.body

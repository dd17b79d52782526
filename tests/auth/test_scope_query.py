"""Restrictions compiled into the query: ANDed restrictions, OR of ANDs (``AllOfCond``),
and the in-memory check that agrees with the stores on every stored resource."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from server.interactions import ResourceService
from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.search.matching import matches
from server.search.query import AllOfCond, Clause, ReferenceCond, TokenCond
from server.storage.port import Store

BASES = ("http://localhost:8080/fhir",)


def appointment(status: str, patient: str, service: str) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": status,
        "serviceType": [{"coding": [{"system": "urn:svc", "code": service}]}],
        "participant": [{"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"}],
    }


DATA = [
    ("booked", "p1", "x"),
    ("booked", "p2", "x"),
    ("proposed", "p1", "x"),
    ("proposed", "p1", "y"),
    ("cancelled", "p1", "y"),
]

CONFINED = Clause((ReferenceCond("actor", "Patient", "p1"),))
# booked, or proposed for service y
EITHER = Clause(
    (
        AllOfCond((Clause((TokenCond("status", None, "booked"),)),)),
        AllOfCond(
            (
                Clause((TokenCond("status", None, "proposed"),)),
                Clause((TokenCond("service-type", "urn:svc", "y"),)),
            )
        ),
    )
)


@pytest.fixture
async def loaded(store: Store) -> tuple[SearchEngine, dict[str, tuple[str, str, str]]]:
    engine = SearchEngine(store, BASES)
    service = ResourceService(store, partial(extract_index, base_urls=BASES), engine)
    ids = {}
    for row in DATA:
        result = await service.create("Appointment", appointment(*row))
        ids[result.version.id] = row
    return engine, ids


@pytest.mark.anyio
async def test_restrictions_are_anded_and_all_of_ored(
    loaded: tuple[SearchEngine, dict[str, tuple[str, str, str]]],
) -> None:
    engine, ids = loaded
    parsed = engine.parse("Appointment", [("_total", "accurate"), ("_count", "1")], lenient=False)
    result = await engine.run(parsed, (CONFINED, EITHER))
    assert result.page.total == 2
    wanted = {i for i, row in ids.items() if row in {DATA[0], DATA[3]}}
    seen = {v.id for v in result.page.versions}
    cursor = result.page.next_cursor
    while cursor:
        parsed.cursor = cursor
        page = (await engine.run(parsed, (CONFINED, EITHER))).page
        seen |= {v.id for v in page.versions}
        cursor = page.next_cursor
    assert seen == wanted


@pytest.mark.anyio
async def test_negated_all_of(loaded: tuple[SearchEngine, dict[str, tuple[str, str, str]]]) -> None:
    engine, ids = loaded
    parsed = engine.parse("Appointment", [], lenient=False)
    negated = Clause(EITHER.any_of, negate=True)
    result = await engine.run(parsed, (negated,))
    assert {ids[v.id] for v in result.page.versions} == {DATA[2], DATA[4]}


@pytest.mark.anyio
async def test_memory_check_agrees_with_the_store(
    loaded: tuple[SearchEngine, dict[str, tuple[str, str, str]]],
) -> None:
    engine, _ = loaded
    clauses = (CONFINED, EITHER)
    parsed = engine.parse("Appointment", [("_count", "100")], lenient=False)
    everything = (await engine.run(parsed)).page.versions
    found = {v.id for v in (await engine.run(parsed, clauses)).page.versions}
    assert found
    for version in everything:
        assert matches(version, clauses, BASES) is (version.id in found)


@pytest.mark.anyio
async def test_a_single_all_of_with_a_reference_and_a_date(
    loaded: tuple[SearchEngine, dict[str, tuple[str, str, str]]],
) -> None:
    engine, ids = loaded
    parsed = engine.parse("Appointment", [("date", "lt2000-01-01")], lenient=False)
    one = Clause((AllOfCond(EITHER.any_of[1].inner),))  # type: ignore[union-attr]
    result = await engine.run(parsed, (CONFINED, one))
    assert [ids[v.id] for v in result.page.versions] == []
    parsed = engine.parse("Appointment", [], lenient=False)
    result = await engine.run(parsed, (CONFINED, one))
    assert [ids[v.id] for v in result.page.versions] == [DATA[3]]

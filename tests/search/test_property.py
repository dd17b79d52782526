"""Property: on random data sets, search answers exactly what a brute-force evaluation does."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.search.dates import date_range
from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.search.text_fold import fold
from server.storage.factory import store_from_url
from server.storage.port import Method, StoredVersion, Write
from tests.conftest import STORE_KINDS, store_url_for

FAMILIES = ["Ñúñez", "nunez", "Núñez-Ortiz", "Smith", "smythe", "O'Hara", "Åsa"]
GENDERS = ["male", "female", "other"]
# Few values at every precision, nested and adjacent, so that ranges often contain,
# equal or border each other: where the date prefixes differ.
dates = st.sampled_from(
    ["1999", "2000", "2000-01", "2000-02", "2000-01-01", "2000-01-31", "2000-02-01", "2000-12-31"]
)
patients = st.lists(
    st.fixed_dictionaries(
        {
            "family": st.sampled_from(FAMILIES),
            "gender": st.sampled_from(GENDERS),
            "birthDate": st.none() | dates,
            "mrn": st.integers(0, 5),
        }
    ),
    min_size=1,
    max_size=8,
)
PREFIXES = ["eq", "ne", "lt", "gt", "le", "ge", "sa", "eb"]
birthdate = st.tuples(
    st.just("birthdate"), st.tuples(st.sampled_from(PREFIXES), dates).map("".join)
)
criteria = st.lists(
    st.one_of(
        birthdate,
        birthdate,
        st.tuples(st.just("family"), st.sampled_from(["nu", "NÚÑ", "smi", "o'", "a", "zz"])),
        st.tuples(st.just("gender"), st.sampled_from(["male", "female,other"])),
        st.tuples(st.just("identifier"), st.sampled_from(["urn:mrn|1", "2", "urn:x|1"])),
        st.tuples(st.just("birthdate:missing"), st.sampled_from(["true", "false"])),
    ),
    min_size=1,
    max_size=3,
)


def brute_force(patient: dict[str, Any], name: str, value: str) -> bool:
    """The spec's semantics, evaluated directly on one patient."""
    if name == "family":
        return fold(patient["family"]).startswith(fold(value))
    if name == "gender":
        return patient["gender"] in value.split(",")
    if name == "identifier":
        system, _, code = value.rpartition("|")
        return (
            code == str(patient["mrn"])
            and system in ("", "urn:mrn")
            and ("|" not in value or system == "urn:mrn")
        )
    if name == "birthdate:missing":
        return (patient["birthDate"] is None) == (value == "true")
    if patient["birthDate"] is None:
        return False
    low, high = date_range(patient["birthDate"])
    ql, qh = date_range(value[2:])
    within = low >= ql and high <= qh
    return {
        "eq": within,
        "ne": not within,
        "lt": low < ql,
        "gt": high > qh,
        "le": low < ql or within,
        "ge": high > qh or within,
        "sa": low >= qh,
        "eb": high <= ql,
    }[value[:2]]


def resource(i: int, patient: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Patient",
        "id": f"p{i}",
        "name": [{"family": patient["family"]}],
        "gender": patient["gender"],
        "identifier": [{"system": "urn:mrn", "value": str(patient["mrn"])}],
    }
    if patient["birthDate"]:
        body["birthDate"] = patient["birthDate"]
    return body


async def walk_pages(
    engine: SearchEngine, query: list[tuple[str, str]], resource_type: str = "Patient"
) -> set[str]:
    """Every match, read two at a time through ``next`` and back through ``previous``.

    Both walks must see the same ids, each once: the cursors neither skip nor repeat.
    """
    forwards: list[list[str]] = []
    cursor: list[tuple[str, str]] = []
    while True:
        parsed = engine.parse(resource_type, [*query, ("_count", "2"), *cursor], lenient=False)
        page = (await engine.run(parsed)).page
        forwards.append([v.id for v in page.versions])
        if page.next_cursor is None:
            break
        assert len(forwards) <= 8, "more pages than resources: a cursor does not advance"
        cursor = [("_page", page.next_cursor)]
    backwards: list[list[str]] = [forwards[-1]]
    previous = page.previous_cursor
    while previous is not None:
        back = [*query, ("_count", "2"), ("_page", previous)]
        parsed = engine.parse(resource_type, back, lenient=False)
        page = (await engine.run(parsed)).page
        backwards.insert(0, [v.id for v in page.versions])
        previous = page.previous_cursor
        assert len(backwards) <= len(forwards), "walking back finds more pages"
    ids = [i for chunk in forwards for i in chunk]
    assert ids == [i for chunk in backwards for i in chunk]
    assert len(ids) == len(set(ids))
    return set(ids)


async def found(kind: str, data: list[dict[str, Any]], query: list[tuple[str, str]]) -> set[str]:
    with tempfile.TemporaryDirectory() as directory:
        store = store_from_url(store_url_for(kind, Path(directory)))
        await store.open()
        try:
            writes = []
            for i, patient in enumerate(data):
                body = resource(i, patient)
                version = StoredVersion("Patient", body["id"], 1, i, Method.PUT, b"{}")
                writes.append(Write(version, 0, extract_index(body, base_urls=())))
            if writes:
                await store.write(writes)
            return await walk_pages(SearchEngine(store, ()), query)
        finally:
            await store.close()


@pytest.mark.parametrize("kind", [k for k in STORE_KINDS if k != "mongodb"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=patients, query=criteria)
def test_search_matches_brute_force(
    kind: str, data: list[dict[str, Any]], query: list[tuple[str, str]]
) -> None:
    expected = {
        f"p{i}"
        for i, patient in enumerate(data)
        if all(
            any(
                brute_force(patient, name, part)
                for part in (value.split(",") if name == "gender" else [value])
            )
            for name, value in query
        )
    }

    assert asyncio.run(found(kind, data, query)) == expected, urlencode(query)

"""Index extraction: what a write stores for each parameter type, and the fast path's fidelity."""

from __future__ import annotations

from typing import Any

import fhirpathpy
import pytest
from fhirpathpy.models import models

from server.registry import HELD_TYPES
from server.search import extract, paths
from server.search.dates import date_range
from server.search.definitions import indexed_params, search_params
from server.search.extract import extract_index
from server.search.index_entries import DATE_MAX, DATE_MIN, ReferenceEntry
from server.search.paths import compile_expression
from tests.search.conftest import LOCAL, PATIENTS, appointment, claim

BASES = (LOCAL,)


def patient(key: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": key, **PATIENTS[key]}


def test_strings_are_folded_and_keep_the_exact_text() -> None:
    entries = extract_index(patient("alvarez"), base_urls=BASES)

    family = [(e.folded, e.exact) for e in entries.strings if e.param == "family"]
    assert family == [("alvarez", "Álvarez")]
    assert ("bogota", "Bogotá") in [
        (e.folded, e.exact) for e in entries.strings if e.param == "address"
    ]


def test_tokens_keep_system_code_and_folded_text() -> None:
    entries = extract_index(patient("alvarez"), base_urls=BASES)

    identifiers = {(e.system, e.code, e.text) for e in entries.tokens if e.param == "identifier"}
    assert identifiers == {("urn:mrn", "A1", "mrn"), ("urn:ssn", "111", None)}
    of_type = [(e.system, e.code) for e in entries.tokens if e.param == "identifier:of-type"]
    assert of_type == [("http://terminology.hl7.org/CodeSystem/v2-0203", "MR|A1")]
    assert "true" in {e.code for e in entries.tokens if e.param == "active"}


def test_references_inside_the_server_become_type_and_id() -> None:
    entries = extract_index(patient("smithson"), base_urls=BASES)

    assert ReferenceEntry("organization", "Organization", "org1", None) in entries.references
    assert ReferenceEntry("general-practitioner", "Practitioner", "pr1", None) in entries.references


def test_references_outside_the_server_keep_the_url() -> None:
    entries = extract_index(patient("oneil"), base_urls=BASES)

    assert entries.references == [
        ReferenceEntry(
            "general-practitioner", None, None, "http://other.example/fhir/Practitioner/9"
        )
    ]


def test_where_resolve_keeps_only_references_to_that_type() -> None:
    body = appointment(
        participant=[
            {"actor": {"reference": "Patient/p1"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/d1"}, "status": "accepted"},
        ]
    )

    entries = extract_index(body, base_urls=BASES)

    by_param = {(e.param, e.target_id) for e in entries.references}
    assert {("patient", "p1"), ("practitioner", "d1"), ("actor", "p1"), ("actor", "d1")} == by_param


def test_a_period_is_one_range_with_open_ends_unbounded() -> None:
    body = {
        "resourceType": "Consent",
        "id": "c",
        "status": "active",
        "scope": {},
        "category": [],
        "provision": {"period": {"start": "2024-01-01"}},
    }

    entries = extract_index(body, base_urls=BASES)

    period = [(e.low, e.high) for e in entries.dates if e.param == "period"]
    assert period == [(date_range("2024-01-01")[0], DATE_MAX)]


def test_present_lists_the_parameters_with_values_and_sort_keys_the_smallest() -> None:
    entries = extract_index(patient("smith"), base_urls=BASES)

    assert {"family", "given", "birthdate", "gender", "death-date"} <= entries.present
    assert "email" not in entries.present
    assert entries.sort_keys["given"] == "anna"


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        pytest.param("2024", "2024-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00", id="year"),
        pytest.param(
            "2024-02", "2024-02-01T00:00:00+00:00", "2024-03-01T00:00:00+00:00", id="month-leap"
        ),
        pytest.param(
            "2024-12", "2024-12-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00", id="december"
        ),
        pytest.param(
            "2024-02-29", "2024-02-29T00:00:00+00:00", "2024-03-01T00:00:00+00:00", id="day"
        ),
        pytest.param(
            "2024-01-01T10:00+01:00",
            "2024-01-01T09:00:00+00:00",
            "2024-01-01T09:01:00+00:00",
            id="minute-tz",
        ),
        pytest.param(
            "2024-01-01T10:00:05Z",
            "2024-01-01T10:00:05+00:00",
            "2024-01-01T10:00:06+00:00",
            id="second",
        ),
        pytest.param(
            "2024-01-01T10:00:05.25Z",
            "2024-01-01T10:00:05.250000+00:00",
            "2024-01-01T10:00:05.260000+00:00",
            id="fraction",
        ),
    ],
)
def test_dates_cover_their_precision(value: str, low: str, high: str) -> None:
    from datetime import datetime

    def us(text: str) -> int:
        return int(datetime.fromisoformat(text).timestamp() * 1_000_000)

    assert date_range(value) == (us(low), us(high))


@pytest.mark.parametrize(
    "value", ["2024-13", "2024-02-30", "24", "2024-01-01T25:00Z", "x", "2024-01-01T10:00+15:00"]
)
def test_bad_dates_are_rejected(value: str) -> None:
    with pytest.raises(ValueError):
        date_range(value)


def test_the_extremes_stay_in_range() -> None:
    assert date_range("9999") == (date_range("9999-01-01")[0], DATE_MAX)
    assert date_range("0001")[0] == DATE_MIN


SAMPLES: list[dict[str, Any]] = [
    *(patient(k) for k in PATIENTS),
    appointment(id="a1"),
    claim("alvarez", id="c1"),
]


def _expressions() -> list[Any]:
    cases = []
    for name in HELD_TYPES:
        for param in indexed_params(name):
            assert param.expression is not None
            if "resolve()" not in param.expression:  # fhirpathpy cannot resolve references
                cases.append(pytest.param(name, param.expression, id=f"{name}.{param.code}"))
    return cases


@pytest.mark.parametrize(("resource_type", "expression"), _expressions())
def test_the_compiled_expression_agrees_with_fhirpathpy(
    resource_type: str, expression: str
) -> None:
    reference = fhirpathpy.compile(expression, models["r4"])
    for sample in (s for s in SAMPLES if s["resourceType"] == resource_type):
        assert compile_expression(expression)(sample) == list(reference(sample, {})), sample["id"]


def test_the_held_types_need_no_fhirpath_interpreter_at_write_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interpreter(expression: str) -> Any:
        raise AssertionError(f"needs fhirpathpy: {expression}")

    monkeypatch.setattr(paths, "_fhirpath", interpreter)
    paths.compile_expression.cache_clear()
    try:
        for name in HELD_TYPES:
            for param in indexed_params(name):
                assert param.expression is not None
                paths.compile_expression(param.expression)
    finally:
        paths.compile_expression.cache_clear()


def test_an_unknown_shape_falls_back_to_fhirpathpy() -> None:
    evaluate = paths.compile_expression("Patient.name.where(given.count() > 1).family")

    assert evaluate(patient("smith")) == ["Smith"]
    assert evaluate(patient("alvarez")) == []


def test_every_held_type_has_its_spec_parameters() -> None:
    assert {"family", "birthdate", "identifier", "_id", "_lastUpdated"} <= search_params(
        "Patient"
    ).keys()
    assert {"actor", "date", "patient", "status"} <= search_params("Appointment").keys()
    assert "_text" not in search_params("Patient")
    assert "near" not in search_params("Location")


CHOICES = [
    {"resourceType": "Patient", "id": "p1", "deceasedDateTime": "2024-01-05"},
    {"resourceType": "Patient", "id": "p2", "deceasedBoolean": True, "multipleBirthInteger": 2},
]


@pytest.mark.parametrize(
    "sample", SAMPLES + CHOICES, ids=lambda s: f"{s['resourceType']}/{s['id']}"
)
def test_skipping_absent_elements_leaves_the_entries_as_they_were(
    sample: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parameter is skipped only when its path cannot match (choice elements too)."""
    skipping = extract_index(sample, base_urls=BASES)
    every_root = frozenset(
        root for name in HELD_TYPES for p in extract._plan(name) for root in p.roots or ()
    )
    monkeypatch.setattr(extract, "_element_names", lambda keys: every_root)

    walking_every_path = extract_index(sample, base_urls=BASES)
    assert skipping == walking_every_path
    assert list(skipping.sort_keys.items()) == list(walking_every_path.sort_keys.items())


def test_a_choice_element_is_found_by_its_name_before_the_type() -> None:
    entries = extract_index(CHOICES[0], base_urls=BASES)

    dates = [(e.low, e.high) for e in entries.dates if e.param == "death-date"]
    assert dates == [date_range("2024-01-05")]
    assert "deceased" in entries.present

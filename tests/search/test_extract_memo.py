"""Index extraction remembers element groups' entries by content: what it returns for a
resource never depends on what it extracted before."""

from __future__ import annotations

from typing import Any

from server.search.extract import extract_index
from server.search.index_entries import IndexEntries, ReferenceEntry

OURS = "https://ours.example/fhir"


def _claim(patient: str) -> dict[str, Any]:
    return {
        "resourceType": "Claim",
        "id": "c1",
        "status": "active",
        "patient": {"reference": patient},
        "created": "2024-03-01",
    }


def _patients(entries: IndexEntries) -> list[ReferenceEntry]:
    return [e for e in entries.references if e.param == "patient"]


def test_the_same_reference_under_other_base_urls_gives_other_entries() -> None:
    claim = _claim(f"{OURS}/Patient/p1")

    inside = extract_index(claim, base_urls=(OURS,))
    outside = extract_index(claim, base_urls=())

    assert _patients(inside) == [ReferenceEntry("patient", "Patient", "p1", None)]
    assert _patients(outside) == [ReferenceEntry("patient", None, None, f"{OURS}/Patient/p1")]


def test_changing_what_was_returned_does_not_change_the_next_extraction() -> None:
    first = extract_index(_claim("Patient/p2"), base_urls=(OURS,))
    first.references.clear()
    first.tokens.clear()
    first.present.clear()
    first.sort_keys.clear()

    again = extract_index(_claim("Patient/p2"), base_urls=(OURS,))

    assert _patients(again) == [ReferenceEntry("patient", "Patient", "p2", None)]
    assert {"patient", "status", "created"} <= again.present
    assert again.sort_keys["patient"] == "Patient/p2"


def test_each_resource_gets_its_own_values_for_elements_of_the_same_shape() -> None:
    extract_index(_claim("Patient/p3"), base_urls=(OURS,))

    other = extract_index(_claim("Patient/p4"), base_urls=(OURS,))

    assert _patients(other) == [ReferenceEntry("patient", "Patient", "p4", None)]

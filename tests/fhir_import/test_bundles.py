"""``fhirport fhir import`` of Bundles: transaction, batch, collection; a single resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tests.fhir_import.conftest import count, coverage, fhir_import, patient, report_of, stored


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'target.sqlite3'}"


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_bytes(orjson.dumps(document))
    return path


def _transaction(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def _good_then_bad(kind: str) -> dict[str, Any]:
    """A Bundle putting a valid Patient, then an invalid one."""
    bad = {"resourceType": "Patient", "id": "p2", "gender": "sometimes"}
    return _transaction(
        kind,
        {"resource": patient("p1"), "request": {"method": "PUT", "url": "Patient/p1"}},
        {"resource": bad, "request": {"method": "PUT", "url": "Patient/p2"}},
    )


def test_a_transaction_resolves_its_urn_references(tmp_path: Path) -> None:
    url = _url(tmp_path)
    bundle = _transaction(
        "transaction",
        {
            "fullUrl": "urn:uuid:0b1d4e36-3a0f-4a39-9d07-9a4f5b1c2d3e",
            "resource": patient(None, "Urn"),
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "resource": {
                "resourceType": "Coverage",
                "status": "active",
                "beneficiary": {"reference": "urn:uuid:0b1d4e36-3a0f-4a39-9d07-9a4f5b1c2d3e"},
                "payor": [{"reference": "urn:uuid:0b1d4e36-3a0f-4a39-9d07-9a4f5b1c2d3e"}],
            },
            "request": {"method": "POST", "url": "Coverage"},
        },
    )
    report = tmp_path / "r.json"

    result = fhir_import(_write(tmp_path / "tx.json", bundle), "--store", url, "--report", report)

    assert result.exit_code == 0, result.output
    lines = report_of(report)["files"][0]["lines"]
    assert [line["outcome"] for line in lines] == ["applied", "applied"]
    patient_ref, coverage_ref = lines[0]["reference"], lines[1]["reference"]
    assert patient_ref.startswith("Patient/")
    assert coverage_ref.startswith("Coverage/")
    saved = stored(url, *coverage_ref.split("/"))
    assert saved is not None
    assert orjson.loads(saved.body or b"{}")["beneficiary"]["reference"] == patient_ref


def test_a_refused_transaction_stores_nothing_and_exits_1(tmp_path: Path) -> None:
    url = _url(tmp_path)
    bundle = _good_then_bad("transaction")
    dead = tmp_path / "dead"

    result = fhir_import(
        _write(tmp_path / "tx.json", bundle), "--store", url, "--dead-letter", dead
    )

    assert result.exit_code == 1
    assert count(url, "Patient") == 0
    assert (dead / "tx.json").exists()


def test_a_batch_applies_its_good_entries(tmp_path: Path) -> None:
    url = _url(tmp_path)
    bundle = _good_then_bad("batch")
    report = tmp_path / "r.json"

    result = fhir_import(_write(tmp_path / "b.json", bundle), "--store", url, "--report", report)

    assert result.exit_code == 1
    assert count(url, "Patient") == 1
    lines = report_of(report)["files"][0]["lines"]
    assert [line["outcome"] for line in lines] == ["applied", "rejected"]


def test_a_collection_and_a_lone_resource_are_upserted(tmp_path: Path) -> None:
    url = _url(tmp_path)
    collection = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient("p1")}, {"resource": coverage("c1", "p1")}],
    }
    _write(tmp_path / "collection.json", collection)
    _write(tmp_path / "lone.json", patient("p2"))

    first = fhir_import(tmp_path / "collection.json", tmp_path / "lone.json", "--store", url)
    report = tmp_path / "r.json"
    second = fhir_import(
        tmp_path / "collection.json", tmp_path / "lone.json", "--store", url, "--report", report
    )

    assert first.exit_code == 0
    assert second.exit_code == 0
    assert count(url, "Patient") == 2
    assert report_of(report)["totals"] == {"applied": 0, "unchanged": 3, "rejected": 0}

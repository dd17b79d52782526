"""``fhirport fhir import`` of ndjson: upserts, the report, dead letters, reruns, exit status."""

from __future__ import annotations

from pathlib import Path

from tests.fhir_import.conftest import (
    count,
    coverage,
    fhir_import,
    patient,
    report_of,
    stored,
    write_ndjson,
)


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'target.sqlite3'}"


def test_ndjson_is_upserted_by_id_and_reported(tmp_path: Path) -> None:
    url = _url(tmp_path)
    # Coverage first: it refers to patients that come later in the run.
    write_ndjson(tmp_path / "Coverage.ndjson", coverage("c1", "p1"), coverage("c2", "p2"))
    write_ndjson(tmp_path / "Patient.ndjson", patient("p1"), patient("p2"))
    report = tmp_path / "report.json"

    result = fhir_import(
        tmp_path / "Coverage.ndjson",
        tmp_path / "Patient.ndjson",
        "--store",
        url,
        "--report",
        report,
    )

    assert result.exit_code == 0, result.output
    assert count(url, "Patient") == 2
    assert count(url, "Coverage") == 2
    document = report_of(report)
    assert document["totals"] == {"applied": 4, "unchanged": 0, "rejected": 0}
    first = document["files"][0]
    assert first["path"].endswith("Coverage.ndjson")
    assert [line["outcome"] for line in first["lines"]] == ["applied", "applied"]
    assert first["lines"][0]["reference"] == "Coverage/c1"
    assert document["dangling"] == []


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    url = _url(tmp_path)
    source = write_ndjson(tmp_path / "Patient.ndjson", patient("p1"), patient(None, mrn="M7"))
    assert fhir_import(source, "--store", url).exit_code == 0
    report = tmp_path / "again.json"

    again = fhir_import(source, "--store", url, "--report", report)

    assert again.exit_code == 0
    assert report_of(report)["totals"] == {"applied": 0, "unchanged": 2, "rejected": 0}
    assert count(url, "Patient") == 2
    version = stored(url, "Patient", "p1")
    assert version is not None
    assert version.version == 1


def test_a_resource_without_id_is_matched_by_identifier(tmp_path: Path) -> None:
    url = _url(tmp_path)
    assert (
        fhir_import(
            write_ndjson(tmp_path / "a.ndjson", patient(None, "Old", mrn="M1")), "--store", url
        ).exit_code
        == 0
    )
    changed = write_ndjson(tmp_path / "b.ndjson", patient(None, "New", mrn="M1"))
    report = tmp_path / "r.json"

    assert fhir_import(changed, "--store", url, "--report", report).exit_code == 0

    assert count(url, "Patient") == 1
    line = report_of(report)["files"][0]["lines"][0]
    assert line["outcome"] == "applied"
    assert stored(url, *line["reference"].split("/")).version == 2  # type: ignore[union-attr]


def test_refused_lines_are_reported_dead_lettered_and_exit_1(tmp_path: Path) -> None:
    url = _url(tmp_path)
    bad_json = b'{"resourceType": "Patient", "id": '
    invalid = b'{"resourceType": "Patient", "id": "p2", "gender": "sometimes"}'
    unknown = b'{"resourceType": "Observation", "id": "o1", "status": "final"}'
    source = write_ndjson(tmp_path / "mixed.ndjson", patient("p1"), bad_json, invalid, unknown)
    report = tmp_path / "report.json"
    dead = tmp_path / "dead"

    result = fhir_import(source, "--store", url, "--report", report, "--dead-letter", dead)

    assert result.exit_code == 1
    assert count(url, "Patient") == 1
    lines = report_of(report)["files"][0]["lines"]
    assert [line["outcome"] for line in lines] == ["applied", "rejected", "rejected", "rejected"]
    assert [line["line"] for line in lines] == [1, 2, 3, 4]
    for line in lines[1:]:
        assert line["outcome_detail"]["resourceType"] == "OperationOutcome"
    assert lines[2]["outcome_detail"]["issue"][0]["expression"] == ["Patient.gender"]
    copied = (dead / "mixed.ndjson.rejected.ndjson").read_bytes().splitlines()
    assert copied == [bad_json, invalid, unknown]


def test_gzip_folders_and_globs(tmp_path: Path) -> None:
    url = _url(tmp_path)
    folder = tmp_path / "in"
    (folder / "deeper").mkdir(parents=True)
    write_ndjson(folder / "Patient.ndjson.gz", patient("p1"), gz=True)
    write_ndjson(folder / "deeper" / "Patient-2.ndjson", patient("p2"))
    write_ndjson(tmp_path / "x-1.ndjson", patient("p3"))
    write_ndjson(tmp_path / "x-2.ndjson", patient("p4"))

    result = fhir_import(folder, str(tmp_path / "x-*.ndjson"), "--store", url)

    assert result.exit_code == 0, result.output
    assert count(url, "Patient") == 4


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    url = _url(tmp_path)
    source = write_ndjson(tmp_path / "Patient.ndjson", patient("p1"))
    report = tmp_path / "r.json"

    result = fhir_import(source, "--store", url, "--dry-run", "--report", report)

    assert result.exit_code == 0
    assert count(url, "Patient") == 0
    assert report_of(report)["totals"]["applied"] == 1


def test_references_still_dangling_at_the_end_are_reported(tmp_path: Path) -> None:
    url = _url(tmp_path)
    source = write_ndjson(tmp_path / "Coverage.ndjson", coverage("c1", "nobody"))
    report = tmp_path / "r.json"

    result = fhir_import(source, "--store", url, "--report", report)

    assert result.exit_code == 0
    dangling = report_of(report)["dangling"]
    assert {d["reference"] for d in dangling} == {"Patient/nobody"}
    assert dangling[0]["from"] == "Coverage/c1"


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = fhir_import(tmp_path / "nothing-here", "--store", _url(tmp_path))
    assert result.exit_code == 2

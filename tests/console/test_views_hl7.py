"""The workbench's reading of what the HL7v2 operations answered, and of an import report."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.console.views.hl7_results import converted_resources, ingest_results, ledger_view
from server.console.views.import_report import ReportError, read_report

REPORT = Path(__file__).with_name("import-report.json")


def test_import_report_totals_failures_and_gaps() -> None:
    view = read_report(REPORT.read_bytes())
    assert view.messages == 2
    assert dict(view.by_outcome) == {"applied": 1, "failed": 1}
    assert dict(view.by_message_type) == {"ADT^A04": (("applied", 1), ("failed", 1))}
    [failure] = view.failures
    assert (failure.control_id, failure.sender, failure.outcome, failure.location) == (
        "G2",
        "LEGACYEHR|NORTHCLINIC",
        "failed",
        "PID^1^3",
    )
    assert "no identifier" in failure.reason
    [gap] = view.gaps
    assert (gap.sender, gap.table, gap.code, gap.count, gap.first_control_id) == (
        "LEGACYEHR|NORTHCLINIC",
        "0001",
        "1",
        1,
        "G1",
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"[1, 2]", id="a-list"),
        pytest.param(b'{"resourceType": "Patient"}', id="no-totals"),
        pytest.param(b'{"totals": {"messages": "many"}}', id="bad-count"),
    ],
)
def test_anything_else_is_a_report_error(data: bytes) -> None:
    with pytest.raises(ReportError):
        read_report(data)


def test_converted_resources() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "http://x/fhir/Patient/p1",
                "resource": {"resourceType": "Patient", "id": "p1"},
                "request": {"method": "PUT", "url": "Patient/p1"},
            },
            {"request": {"method": "DELETE", "url": "Appointment/a1"}},
        ],
    }
    [put, delete] = converted_resources(bundle)
    assert (put.method, put.url) == ("PUT", "Patient/p1")
    assert '"resourceType": "Patient"' in put.json
    assert (delete.method, delete.url, delete.json) == ("DELETE", "Appointment/a1", "")


def test_ingest_results() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [
            {
                "response": {
                    "status": "422 Unprocessable Entity",
                    "outcome": {
                        "resourceType": "OperationOutcome",
                        "issue": [
                            {
                                "severity": "error",
                                "code": "processing",
                                "diagnostics": "ADT^A04 G2 from A|F: failed (ACK AE)",
                            }
                        ],
                    },
                }
            }
        ],
    }
    [result] = ingest_results(bundle)
    assert not result.accepted
    assert result.issues[0].diagnostics.endswith("failed (ACK AE)")


def test_ledger_view() -> None:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "sender", "valueString": "A|F"},
            {"name": "controlId", "valueString": "G1"},
            {"name": "outcome", "valueCode": "applied"},
            {"name": "message", "valueString": "MSH|..."},
            {"name": "touched", "valueReference": {"reference": "Patient/p1"}},
            {"name": "touched", "valueReference": {"reference": "Coverage/c1"}},
            {"name": "warning", "valueString": "w"},
        ],
    }
    view = ledger_view(parameters)
    assert (view.sender, view.control_id, view.outcome) == ("A|F", "G1", "applied")
    assert view.touched == ("Patient/p1", "Coverage/c1")
    assert view.warnings == ("w",)
    assert view.unmapped == ()

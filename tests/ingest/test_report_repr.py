"""An import's report is returned through ``asyncio.run``, which formats the main task, its
result included, when the run ends: the report's repr must not grow with the import."""

from __future__ import annotations

from server.hl7v2.ingest.report import ImportReport


def test_a_reports_repr_does_not_list_its_messages() -> None:
    report = ImportReport(dry_run=False, files=["a.hl7"])
    for index in range(1_000):
        report.add({"file": "a.hl7", "index": index, "outcome": "applied", "touched": []})

    text = repr(report)

    assert len(text) < 200, text[:300]
    assert "1000 messages" in text

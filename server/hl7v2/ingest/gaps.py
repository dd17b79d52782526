"""The vocabulary gaps of an import: local codes no vocabulary maps, to be filled in.

The import report's ``vocabulary_gaps`` section lists them per sender and HL7 table,
with how often each came and the first message that carried it;
``fhirport hl7 vocab-gaps REPORT.json`` prints that section as a table, whose last
column is the standard code to write into the ``--vocab`` file.
"""

from __future__ import annotations

from typing import Any

from mappers.vocabulary import TABLES, local_system, table_codes

_HEADER = ("sender", "table", "code", "count", "first message", "standard code (fill in)")
_LISTED = 12  # tables with at most this many codes show them all as the hint


def vocabulary_gaps(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each local code no vocabulary maps, per sender and table: how often, and where first."""
    gaps: dict[tuple[str, str, str], dict[str, Any]] = {}
    for record in messages:
        for table, code in record.get("vocabulary_gaps", ()):
            key = (record["sender"], table, code)
            gap = gaps.get(key)
            if gap is None:
                application, _, facility = record["sender"].partition("|")
                gaps[key] = gap = {
                    "sender": record["sender"],
                    "table": table,
                    "code": code,
                    "count": 0,
                    "first_message": {
                        "file": record["file"],
                        "index": record["index"],
                        "control_id": record["control_id"],
                    },
                    "system": local_system((application, facility), table),
                }
            gap["count"] += 1
    return [gaps[key] for key in sorted(gaps)]


def gaps_table(gaps: list[dict[str, Any]]) -> str:
    """Render a report's gaps as an aligned text table, the standard code left to fill in."""
    rows = [_HEADER, tuple("-" * len(title) for title in _HEADER)]
    for gap in gaps:
        first = gap["first_message"]
        rows.append(
            (
                gap["sender"],
                gap["table"],
                gap["code"],
                str(gap["count"]),
                f"{first['file']} #{first['index']} ({first['control_id']})",
                _hint(gap["table"]),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(_HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _hint(table: str) -> str:
    """The codes to choose from (or the table's name when it has many)."""
    codes = sorted(set(table_codes(table).codes.values())) if table in TABLES else []
    if codes and len(codes) <= _LISTED:
        return "one of " + " ".join(codes)
    return f"a code of HL7 table {table}"

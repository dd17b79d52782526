"""The report of an import: one record per message, and totals per message type and outcome."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from server.hl7v2.ingest.gaps import vocabulary_gaps
from server.hl7v2.ingest.model import IngestOutcome


def message_record(file: str, index: int, outcome: IngestOutcome) -> dict[str, Any]:
    """Describe one message of an import."""
    header = outcome.header
    record: dict[str, Any] = {
        "file": file,
        "index": index,
        "sender": header.sender,
        "control_id": header.control_id,
        "message_type": header.message_type,
        "outcome": outcome.outcome.value,
        "ack_code": outcome.ack_code,
        "touched": [
            {"reference": t.reference, "change": t.change.value, "version": t.version}
            for t in outcome.touched
        ],
        "warnings": outcome.warnings,
        "unmapped": outcome.unmapped,
    }
    if outcome.vocabulary_gaps:
        record["vocabulary_gaps"] = [list(gap) for gap in outcome.vocabulary_gaps]
    if outcome.reason is not None:
        record["reason"] = outcome.reason
        record["error_code"] = outcome.error_code
        record["error_location"] = outcome.error_location
    return record


@dataclass(slots=True, repr=False)
class ImportReport:
    """Everything an import did, as written by ``--report``."""

    dry_run: bool
    files: list[str]
    messages: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0

    def __repr__(self) -> str:
        # Short: ``asyncio.run`` formats the task that returns a report when it ends.
        return f"<ImportReport of {len(self.messages)} messages, {len(self.files)} files>"

    def add(self, record: dict[str, Any]) -> None:
        self.messages.append(record)

    def finish(self) -> None:
        self.elapsed = time.monotonic() - self.started

    def totals(self) -> dict[str, Any]:
        """Counts per outcome, per message type and outcome, and per resource change."""
        by_outcome: Counter[str] = Counter()
        by_type: defaultdict[str, Counter[str]] = defaultdict(Counter)
        changes: Counter[str] = Counter()
        for record in self.messages:
            by_outcome[record["outcome"]] += 1
            by_type[record["message_type"] or "(unreadable)"][record["outcome"]] += 1
            changes.update(
                t["change"] for t in record["touched"] if record["outcome"] != "duplicate"
            )
        return {
            "messages": len(self.messages),
            # Not errors: message types fhirport does not map, kept raw in the ledger.
            "out_of_scope": by_outcome["out-of-scope"],
            "by_outcome": dict(sorted(by_outcome.items())),
            "by_message_type": {k: dict(sorted(v.items())) for k, v in sorted(by_type.items())},
            "resources": dict(sorted(changes.items())),
        }

    def summary(self) -> str:
        """One line for the terminal."""
        totals = self.totals()
        rate = len(self.messages) / self.elapsed if self.elapsed > 0 else 0.0
        outcomes = ", ".join(f"{n} {k}" for k, n in totals["by_outcome"].items()) or "nothing"
        prefix = "Dry run: " if self.dry_run else ""
        return (
            f"{prefix}{totals['messages']} messages from {len(self.files)} files in "
            f"{self.elapsed:.1f}s ({rate:.0f}/s): {outcomes}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "files": self.files,
            "elapsed_seconds": round(self.elapsed, 3),
            "totals": self.totals(),
            "vocabulary_gaps": vocabulary_gaps(self.messages),
            "messages": self.messages,
        }

"""The report of a verification: counts per message type and field, every difference.

The JSON shape is documented in docs/mappings/verify.md. A check ends ``matched`` (the
store holds the message's value), ``explained`` (a later message, by event time, or
a REST write changed it, and the report says which) or a ``mismatch`` (nothing
explains it: the exit status is 1).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from server.fhir.clock import fhir_instant
from server.hl7v2.verify.expectations import Check


@dataclass(frozen=True, slots=True)
class Sent:
    """An applied message, as read from the archive and found in the ledger."""

    file: str
    index: int
    sender: str
    control_id: str
    message_type: str
    event_time: int | None
    received: int  # when the import applied it (the ledger's time)
    touched: dict[str, int]  # Type/id -> the version it wrote
    sequence: int  # its place in the archive

    @property
    def order(self) -> tuple[int, int]:
        """Later messages sort after: by event time, then archive order (as the import)."""
        return (self.event_time or 0, self.sequence)

    def describe(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "index": self.index,
            "sender": self.sender,
            "control_id": self.control_id,
            "message_type": self.message_type,
            "event_time": _instant(self.event_time),
        }

    def names(self) -> dict[str, Any]:
        """The message as the writer of a change."""
        return {
            "kind": "message",
            "sender": self.sender,
            "control_id": self.control_id,
            "message_type": self.message_type,
            "event_time": _instant(self.event_time),
        }


def _instant(moment: int | None) -> str | None:
    return fhir_instant(moment) if moment is not None else None


_VERDICTS = ("matched", "explained", "mismatches")
_ALL = ""  # the label under which a message type's totals are counted


@dataclass(slots=True)
class VerifyReport:
    """Everything a verification found (``fhirport hl7 verify --report``)."""

    files: list[str]
    messages: int = 0
    verified: Counter[str] = field(default_factory=Counter)  # applied messages per type
    skipped: Counter[str] = field(default_factory=Counter)  # not verified, by reason
    # (message type, field, verdict) -> checks; the totals are counted apart at the end
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    explained: list[dict[str, Any]] = field(default_factory=list)
    patients: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0

    def matched(self, sent: Sent, check: Check) -> None:
        self.counts[(sent.message_type, check.label, "matched")] += 1

    def explain(self, sent: Sent, reference: str, check: Check, changed_by: dict[str, Any]) -> None:
        self.counts[(sent.message_type, check.label, "explained")] += 1
        self.explained.append(
            {**sent.describe(), **_where(reference, check), "changed_by": changed_by}
        )

    def mismatch(self, sent: Sent, reference: str, check: Check, stored: Any, reason: str) -> None:
        self.counts[(sent.message_type, check.label, "mismatches")] += 1
        self.mismatches.append(
            {
                **sent.describe(),
                **_where(reference, check),
                "expected": check.expected,
                "stored": stored,
                "reason": reason,
            }
        )

    def unverifiable(self, sent: Sent, reason: str) -> None:
        """An applied message that cannot be checked (it no longer maps): a mismatch."""
        self.counts[(sent.message_type, "(message)", "mismatches")] += 1
        self.mismatches.append(
            {**sent.describe(), "resource": None, "field": None, "reason": reason}
        )

    def _tally(self) -> tuple[dict[str, int], dict[str, dict[str, dict[str, int]]]]:
        """The totals, and the counts per message type and field (``_ALL``: all its fields)."""
        totals = _zero()
        by_type: dict[str, dict[str, dict[str, int]]] = {}
        for (message_type, label, verdict), count in self.counts.items():
            fields = by_type.setdefault(message_type, {})
            for counts in (
                totals,
                fields.setdefault(_ALL, _zero()),
                fields.setdefault(label, _zero()),
            ):
                counts[verdict] += count
                counts["checks"] += count
        return totals, by_type

    def finish(self) -> None:
        self.elapsed = time.monotonic() - self.started

    @property
    def exit_status(self) -> int:
        """1 when anything is unexplained, else 0."""
        return 1 if self.mismatches else 0

    def to_json(self) -> dict[str, Any]:
        rate = self.messages / self.elapsed if self.elapsed > 0 else 0.0
        totals, by_type = self._tally()
        return {
            "files": self.files,
            "elapsed_seconds": round(self.elapsed, 3),
            "messages_per_second": round(rate, 1),
            "totals": {
                "messages": self.messages,
                "verified": sum(self.verified.values()),
                "skipped": dict(sorted(self.skipped.items())),
                **totals,
            },
            "by_message_type": {
                message_type: {
                    "messages": self.verified[message_type],
                    **fields[_ALL],
                    "fields": {label: c for label, c in sorted(fields.items()) if label != _ALL},
                }
                for message_type, fields in sorted(by_type.items())
            },
            "mismatches": self.mismatches,
            "explained": self.explained,
            "patients": self.patients,
        }

    def summary(self) -> str:
        """A few lines for the terminal."""
        rate = self.messages / self.elapsed if self.elapsed > 0 else 0.0
        totals, _ = self._tally()
        skipped = ", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items())) or "none"
        by_kind = Counter(str(e["changed_by"]["kind"]) for e in self.explained)
        kinds = ", ".join(f"{n} by {k}" for k, n in sorted(by_kind.items()))
        lines = [
            f"{self.messages} messages from {len(self.files)} files in {self.elapsed:.1f}s "
            f"({rate:.0f}/s): {sum(self.verified.values())} verified; not verified: {skipped}",
            f"{totals['checks']} field checks: {totals['matched']} hold the message's value, "
            f"{totals['explained']} changed later{f' ({kinds})' if kinds else ''}, "
            f"{totals['mismatches']} unexplained",
        ]
        for item in self.mismatches[:10]:
            lines.append(
                f"  MISMATCH {item['message_type']} {item['control_id']} "
                f"{item['resource'] or ''} {item['field'] or ''}: {item['reason']}"
            )
        if len(self.mismatches) > 10:
            lines.append(f"  ... and {len(self.mismatches) - 10} more (see the report)")
        return "\n".join(lines)


def _zero() -> dict[str, int]:
    return dict.fromkeys(("checks", *_VERDICTS), 0)


def _where(reference: str, check: Check) -> dict[str, Any]:
    return {"resource": reference, "field": check.label, "element": check.element}

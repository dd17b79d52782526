"""The import report (per file and line) and the dead-letter folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from server.fhir_import.upsert import LineResult

OUTCOMES = ("applied", "unchanged", "rejected")


@dataclass(slots=True)
class FileReport:
    """One file's outcomes; each line's only when the report is written."""

    path: str
    kind: str  # ndjson | document
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    lines: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "totals": self.totals, "lines": self.lines}


@dataclass(slots=True)
class ImportReport:
    """Every file's outcomes, the totals and the references left dangling."""

    dry_run: bool
    keep_lines: bool  # a line-by-line report was asked for
    dead_letter: Path | None
    files: list[FileReport] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    dangling: list[dict[str, str]] = field(default_factory=list)

    def start(self, path: Path, kind: str) -> FileReport:
        report = FileReport(str(path), kind)
        self.files.append(report)
        return report

    def record(
        self, file: FileReport, path: Path, number: int, result: LineResult, raw: bytes | None
    ) -> None:
        """One line's (or entry's) outcome; a refused ndjson line goes to the dead letters."""
        file.totals[result.outcome] += 1
        self.totals[result.outcome] += 1
        if self.keep_lines:
            line: dict[str, Any] = {"line": number, "outcome": result.outcome}
            if result.reference is not None:
                line["reference"] = result.reference
            if result.detail is not None:
                line["outcome_detail"] = result.detail
            file.lines.append(line)
        if result.outcome == "rejected" and self.dead_letter is not None:
            self._dead_letter(path, number, result, raw)

    def _dead_letter(self, path: Path, number: int, result: LineResult, raw: bytes | None) -> None:
        folder = self.dead_letter
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            with (folder / f"{path.name}.rejected.ndjson").open("ab") as copy:
                copy.write(raw + b"\n")
        reason = {"file": str(path), "line": number, "outcome": result.detail}
        with (folder / f"{path.name}.reasons.ndjson").open("ab") as reasons:
            reasons.write(orjson.dumps(reason) + b"\n")

    def copy_document(self, path: Path, raw: bytes) -> None:
        """A document with a refused entry goes to the dead letters whole."""
        if self.dead_letter is not None:
            self.dead_letter.mkdir(parents=True, exist_ok=True)
            (self.dead_letter / path.name).write_bytes(raw)

    @property
    def refused(self) -> int:
        return self.totals["rejected"]

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "totals": self.totals,
            "files": [f.to_json() for f in self.files],
            "dangling": self.dangling,
        }

    def summary(self) -> dict[str, Any]:
        """The machine-readable last line: totals, files, dangling references."""
        return {
            "files": len(self.files),
            **self.totals,
            "dangling": len(self.dangling),
            "dry_run": self.dry_run,
        }

"""Code maps loaded once, at import, from CSV: the IG's sheets (``ig/``) and our own (``tables/``).

Both folders use the IG's code-system layout (two header rows; column 1 the v2 code,
column 7 the FHIR code, 9 its display, 10 its system), so a map we had to write
ourselves reads exactly like one the IG gives. ``tables/coding_systems.csv`` (v2 table
0396 names -> FHIR system URIs) is a plain two-column sheet.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_HERE = Path(__file__).parent
_FOLDERS = (_HERE / "ig", _HERE / "tables")
_V2_TABLE = re.compile(r"^HL7(\d{4})$", re.IGNORECASE)
V2_TABLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-"
LOCAL_CODE_SYSTEM_BASE = "urn:fhirport:codesystem:"


@dataclass(frozen=True, slots=True)
class Concept:
    """A FHIR code a v2 code maps to."""

    code: str
    display: str
    system: str

    def coding(self) -> dict[str, Any]:
        """Return the concept as a FHIR Coding."""
        coding = {"system": self.system, "code": self.code}
        if self.display:
            coding["display"] = self.display
        return coding


class CodeMap:
    """One v2 -> FHIR code map; v2 codes the IG lists without a FHIR code map to None."""

    __slots__ = ("_entries", "name")

    def __init__(self, name: str, entries: dict[str, Concept | None]) -> None:
        self.name = name
        self._entries = entries

    def get(self, v2_code: str) -> Concept | None:
        """Return the FHIR concept for ``v2_code`` (exact match first, then upper case)."""
        found = self._entries.get(v2_code)
        if found is None and v2_code:
            found = self._entries.get(v2_code.upper())
        return found

    def code(self, v2_code: str) -> str | None:
        """Return just the FHIR code for ``v2_code``."""
        found = self.get(v2_code)
        return found.code if found else None


@cache
def code_map(name: str) -> CodeMap:
    """Load the map ``name`` (file name without ``.csv``) from ``ig/`` or ``tables/``."""
    for folder in _FOLDERS:
        path = folder / f"{name}.csv"
        if path.exists():
            return CodeMap(name, _read_sheet(path))
    raise FileNotFoundError(f"no code map named {name!r}")


def _read_sheet(path: Path) -> dict[str, Concept | None]:
    entries: dict[str, Concept | None] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[2:]
    for row in rows:
        cells = [*row, *[""] * (10 - len(row))]
        v2_code, fhir_code = cells[0].strip(), cells[6].strip()
        if not v2_code or v2_code in entries:
            continue  # a FHIR-only row, or a duplicate (the IG's first row wins)
        entries[v2_code] = (
            Concept(fhir_code, cells[8].strip(), cells[9].strip()) if fhir_code else None
        )
    return entries


@cache
def _coding_systems() -> dict[str, str]:
    with (_HERE / "tables" / "coding_systems.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return {row[0].strip().upper(): row[1].strip() for row in rows if len(row) >= 2}


def coding_system_uri(name: str) -> str:
    """Return the FHIR system URI for a v2 coding-system name (table 0396, e.g. "I10", "LN").

    ``HL7nnnn`` is v2 table nnnn; a URI or an OID is kept; an unknown local name gets a
    stable local URI so the code is not lost.
    """
    known = _coding_systems().get(name.upper())
    if known:
        return known
    table = _V2_TABLE.match(name)
    if table:
        return V2_TABLE_SYSTEM + table.group(1)
    if name.startswith(("http://", "https://", "urn:")) and not any(c.isspace() for c in name):
        return name
    if re.fullmatch(r"[0-2](\.\d+)+", name):
        return f"urn:oid:{name}"
    return LOCAL_CODE_SYSTEM_BASE + re.sub(r"[^A-Za-z0-9._-]", "-", name)

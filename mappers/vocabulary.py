"""Per-sender vocabularies: a sender's local codes for an HL7 table, as the table's own codes.

A legacy sender writes sex as ``1``/``2`` or ``MALE``, a marital status as ``MAR``: codes
of its own for an HL7 table. A :class:`Vocabulary` (the site's ``--vocab`` file, read by
the server) says, per sender (MSH-3, MSH-4) and table, which standard code each local code
stands for; the IG's maps then carry the standard code to FHIR. A code that is the table's
own passes as it is, a few common spellings are built in (``MALE``, ``Female``), and
numbers are never guessed. What nothing maps is kept, never dropped: in a code system of
the sender's own (:func:`local_system`), and reported as a vocabulary gap.

The valid codes of each table come from ``tables/v2-tables.json``, generated from the HL7
v2 tables of the FHIR R4 specification by ``python -m mappers.tables.generate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

LOCAL_SYSTEM_BASE = "https://fhirport.dev/fhir/CodeSystem/v2-local"
ORIGINAL_CODE_URL = "https://fhirport.dev/fhir/StructureDefinition/v2-original-code"
ANY = "*"  # a vocabulary entry for every application or every facility
TABLES_FILE = Path(__file__).parent / "tables" / "v2-tables.json"

# The HL7 tables a vocabulary may map, and what they hold (the fields that use them).
TABLES: dict[str, str] = {
    "0001": "administrative sex (PID-8, NK1-15, GT1-9, IN1-43)",
    "0002": "marital status (PID-16)",
    "0004": "patient class (PV1-2)",
    "0005": "race (PID-10)",
    "0063": "relationship (NK1-3, GT1-11, IN1-17)",
    "0131": "contact role (NK1-7)",
    "0189": "ethnic group (PID-22)",
    "0203": "identifier type (CX-5)",
    "0278": "filler status (SCH-25)",
}
# Spellings every sender means the same thing by (matched case-insensitively); a
# number means different things at different sites, so none is guessed.
BUILT_IN: dict[str, dict[str, str]] = {
    "0001": {"MALE": "M", "FEMALE": "F", "UNKNOWN": "U", "OTHER": "O"},
}

Sender = tuple[str, str]  # (MSH-3, MSH-4)


@dataclass(frozen=True, slots=True)
class TableCodes:
    """An HL7 table's valid codes: its FHIR code system and the codes by upper case."""

    system: str
    codes: Mapping[str, str]  # CODE (upper case) -> the code as the table spells it

    def standard(self, code: str) -> str | None:
        """The table's spelling of ``code`` when it is one of the table's codes."""
        return self.codes.get(code.upper())


@cache
def table_codes(table: str) -> TableCodes:
    """Return the valid codes of HL7 table ``table`` (e.g. "0001")."""
    document: dict[str, Any] = orjson.loads(TABLES_FILE.read_bytes())
    entry = document["tables"][table]
    return TableCodes(entry["system"], {c.upper(): c for c in entry["codes"]})


def local_system(sender: Sender, table: str) -> str:
    """The code system of one sender's local codes for ``table`` (path segments encoded)."""
    application, facility = (quote(part, safe="") for part in sender)
    return f"{LOCAL_SYSTEM_BASE}/{application}/{facility}/{table}"


def original_code_extension(system: str, code: str, display: str = "") -> dict[str, Any]:
    """The extension that keeps a code a ``code`` element could not hold."""
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"url": ORIGINAL_CODE_URL, "valueCoding": coding}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Each sender's local codes per table, and the standard codes they stand for."""

    # (MSH-3 or "*", MSH-4 or "*", table) -> {LOCAL CODE (upper case) -> standard code}
    entries: Mapping[tuple[str, str, str], Mapping[str, str]] = field(default_factory=dict)

    def standard(self, sender: Sender, table: str, code: str) -> str | None:
        """Return the standard code of table ``table`` a sender's ``code`` stands for.

        The sender's own map first (exact application and facility, then either as
        ``*``), then the table's codes, then the built-in spellings; None when nothing
        maps it.
        """
        application, facility = sender
        key = code.upper()
        for scope in ((application, facility), (application, ANY), (ANY, facility), (ANY, ANY)):
            local = self.entries.get((*scope, table))
            if local is not None and key in local:
                return local[key]
        return table_codes(table).standard(code) or BUILT_IN.get(table, {}).get(key)

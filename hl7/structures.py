"""Message structures (HL7 table 0354) for a message code and trigger event.

MSH-9.3 names the abstract message structure from v2.3.1 on; older senders, and many
newer ones, leave it out. The map is read from the V2-to-FHIR IG's MessageStructure
code system sheet (``message_structure.csv``, copied from
``v2-to-fhir/codesystems/MessageStructure.csv``): each row names a structure such as
``ADT_A01`` and the events that use it ("A01, A04, A08, A13"). The sheet leaves the
events of a few structures blank; ``_TABLE_0354_GAPS`` fills those from table 0354 of
v2.5.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path
from typing import Final

_SHEET: Final = Path(__file__).with_name("message_structure.csv")
_EVENT: Final = re.compile(r"\b[A-Z][A-Z0-9]{2}\b")
_STRUCTURE: Final = re.compile(r"([A-Z][A-Z0-9]{2})_([A-Z0-9]{3})")
# Rows whose event column the IG sheet leaves empty (table 0354, v2.5).
_TABLE_0354_GAPS: Final[dict[str, tuple[str, ...]]] = {
    "ADT_A18": ("A18",),
    "ADT_A30": ("A30", "A34", "A35", "A36", "A46", "A47", "A48", "A49"),
    "ADR_A19": ("A19",),
    "MFN_M01": ("M01",),
    "DOC_T12": ("T12",),
}


@cache
def _structure_map() -> dict[tuple[str, str], str]:
    """(message code, event) -> structure, from the IG sheet plus the gaps above."""
    mapping: dict[tuple[str, str], str] = {}
    with _SHEET.open(newline="", encoding="utf-8") as sheet:
        rows = list(csv.reader(sheet))[2:]  # two header rows
    for row in rows:
        named = _STRUCTURE.fullmatch(row[0].strip()) if row else None
        if named is None:
            continue
        structure, code = named.group(0), named.group(1)
        events = _EVENT.findall(row[1]) if len(row) > 1 else []
        events += _TABLE_0354_GAPS.get(structure, ())
        for event in events or [named.group(2)]:
            mapping.setdefault((code, event), structure)
    return mapping


def structure_for(message_code: str, trigger_event: str) -> str:
    """The standard structure for MSH-9.1 and MSH-9.2, "" when the pair is not standard."""
    if message_code == "ACK":
        return "ACK"
    return _structure_map().get((message_code, trigger_event), "")

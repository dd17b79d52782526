"""The header of a message the server sends unsolicited: MSH and EVN (v2.5.1 2.14.9, 3.4.1)."""

from __future__ import annotations

from dataclasses import dataclass

from hl7.encoding import Encoding
from hl7.escapes import escape
from mappers.fhir_to_v2.er7_text import composite

VERSION = "2.5.1"
# MSH-9.3, the abstract message structure of each event the server sends.
STRUCTURES = {
    "ADT^A04": "ADT_A01",
    "ADT^A08": "ADT_A01",
    "ADT^A40": "ADT_A39",
    "SIU^S12": "SIU_S12",
    "SIU^S14": "SIU_S12",
    "SIU^S15": "SIU_S12",
    "SIU^S17": "SIU_S12",
}


@dataclass(frozen=True, slots=True)
class Header:
    """Who sends to whom, which event, its control id and time (a DTM)."""

    sending: tuple[str, str]  # MSH-3, MSH-4 namespace ids
    receiving: tuple[str, str]  # MSH-5, MSH-6
    message_type: str  # ADT^A04
    control_id: str
    timestamp: str


def msh_segment(header: Header, encoding: Encoding) -> str:
    """MSH: original acknowledgement mode, processing id P, version 2.5.1, UTF-8 (MSH-18)."""
    code, event = header.message_type.split("^")
    structure = STRUCTURES.get(header.message_type, "")
    fields = [
        "MSH",
        encoding.msh2,
        composite([header.sending[0]], encoding),
        composite([header.sending[1]], encoding),
        composite([header.receiving[0]], encoding),
        composite([header.receiving[1]], encoding),
        header.timestamp,
        "",
        composite([code, event, structure], encoding),
        escape(header.control_id, encoding),
        "P",
        VERSION,
        "",
        "",
        "",  # MSH-15 and MSH-16 empty: original mode, the receiver answers AA, AE or AR
        "",
        "",
        "UNICODE UTF-8",
    ]
    return encoding.field.join(fields)


def evn_segment(header: Header, encoding: Encoding) -> str:
    """EVN: the event code (EVN-1, kept for older receivers) and when it was recorded."""
    event = header.message_type.split("^")[1]
    return encoding.field.join(["EVN", event, header.timestamp])

"""Patient to PID, the inverse of ``mappers.segments.pid`` for what a query answer carries.

PID-1 set id; PID-3 identifiers (CX); PID-5 names (XPN); PID-7 birth date; PID-8
administrative sex (table 0001); PID-11 addresses (XAD); PID-13 home and PID-14 work
telecom (XTN); PID-29 / PID-30 death. The v2 codes are the first the IG's code maps
give for each FHIR code (``mappers/ig``), so a Patient that came in by HL7 v2 goes out
with the codes it came with.
"""

from __future__ import annotations

from typing import Any, Final

from hl7.encoding import Encoding
from mappers.config import MappingConfig
from mappers.fhir_to_v2.er7_text import composite, dtm, repeated, segment, text
from mappers.fhir_to_v2.identifiers import cx

# FHIR code -> v2 code, each the inverse of an IG map in mappers/ig.
SEX: Final = {"male": "M", "female": "F", "other": "O", "unknown": "U"}  # table 0001
NAME_TYPE: Final = {  # table 0200
    "official": "L",
    "usual": "D",
    "nickname": "N",
    "maiden": "M",
    "old": "BAD",
    "temp": "TEMP",
}
ADDRESS_TYPE: Final = {"home": "H", "work": "O", "temp": "C", "old": "BA", "billing": "BI"}
PHONE_USE: Final = {"home": "PRN", "work": "WPN", "mobile": "PRN", "temp": "ORN"}  # 0201
EQUIPMENT: Final = {"phone": "PH", "fax": "FX", "pager": "BP", "other": "MD"}  # table 0202


def xpn(name: dict[str, Any], encoding: Encoding) -> str:
    """One XPN: family, given, further given names, suffix, prefix, name type."""
    given = [str(g) for g in name.get("given", ())]
    return composite(
        [
            text(name.get("family")),
            given[0] if given else "",
            " ".join(given[1:]),
            " ".join(str(s) for s in name.get("suffix", ())),
            " ".join(str(p) for p in name.get("prefix", ())),
            "",
            NAME_TYPE.get(text(name.get("use")), ""),
        ],
        encoding,
    )


def xad(address: dict[str, Any], encoding: Encoding) -> str:
    """One XAD: street, other designation (further lines), city, state, zip, country, type."""
    lines = [str(line) for line in address.get("line", ())]
    return composite(
        [
            lines[0] if lines else "",
            ", ".join(lines[1:]),
            text(address.get("city")),
            text(address.get("state")),
            text(address.get("postalCode")),
            text(address.get("country")),
            ADDRESS_TYPE.get(text(address.get("use")), ""),
            "",
            text(address.get("district")),
        ],
        encoding,
    )


def xtn(point: dict[str, Any], encoding: Encoding) -> str:
    """One XTN: a number in XTN.1, an e-mail address in XTN.4 (use NET, equipment Internet)."""
    value, system = text(point.get("value")), text(point.get("system"))
    if not value:
        return ""
    if system == "email":
        return composite(["", "NET", "Internet", value], encoding)
    use = text(point.get("use"))
    equipment = "CP" if use == "mobile" else EQUIPMENT.get(system, "")
    return composite([value, PHONE_USE.get(use, ""), equipment], encoding)


def pid_segment(
    patient: dict[str, Any], encoding: Encoding, config: MappingConfig, set_id: int = 1
) -> str:
    """The PID segment of a Patient."""
    telecom = [t for t in patient.get("telecom", ()) if isinstance(t, dict)]
    fields = {
        1: str(set_id),
        3: repeated((cx(i, config, encoding) for i in patient.get("identifier", ())), encoding),
        5: repeated((xpn(n, encoding) for n in patient.get("name", ())), encoding),
        7: dtm(patient.get("birthDate")),
        8: SEX.get(text(patient.get("gender")), ""),
        11: repeated((xad(a, encoding) for a in patient.get("address", ())), encoding),
        13: repeated((xtn(t, encoding) for t in telecom if t.get("use") != "work"), encoding),
        14: repeated((xtn(t, encoding) for t in telecom if t.get("use") == "work"), encoding),
        29: dtm(patient.get("deceasedDateTime")),
    }
    deceased = patient.get("deceasedBoolean")
    if isinstance(deceased, bool) or fields[29]:
        fields[30] = "Y" if deceased is not False else "N"
    return segment("PID", fields, encoding)

"""Patient to PID (the reverse of ``segments.pid`` for the fields a query answer needs).

PID-3 identifiers (CX: value, assigning authority from the system, type), PID-5 names
(XPN), PID-7 birth date, PID-8 administrative sex (table 0001), PID-11 addresses (XAD),
PID-13 telecom (XTN), PID-29 death date. Pure: a Patient dict in, ER7 text out.
"""

from __future__ import annotations

from typing import Any, Final

from hl7.encoding import Encoding
from hl7.escapes import escape
from mappers.fhir_to_v2_fields import components, first_code, repeated, segment, v2_date

# FHIR administrative gender -> HL7 table 0001.
_SEX: Final = {"male": "M", "female": "F", "other": "O", "unknown": "U"}
_NAME_USE: Final = {"official": "L", "usual": "D", "nickname": "N", "maiden": "M", "old": "B"}
_PHONE_USE: Final = {"home": "PRN", "work": "WPN", "mobile": "PRN", "temp": "ORN"}


def _identifier(identifier: dict[str, Any], encoding: Encoding) -> str:
    system = str(identifier.get("system", ""))
    # CX.4 is an HD (namespace&universal id&type); an OID system is its universal id.
    if system.startswith("urn:oid:"):
        oid = escape(system.removeprefix("urn:oid:"), encoding)
        authority = encoding.subcomponent.join(("", oid, "ISO"))
    else:
        authority = escape(system, encoding)
    value = escape(str(identifier.get("value", "")), encoding)
    type_code = escape(first_code(identifier.get("type")), encoding)
    cx = encoding.component.join((value, "", "", authority, type_code))
    return cx.rstrip(encoding.component)


def _name(name: dict[str, Any], encoding: Encoding) -> str:
    given = list(name.get("given", ()))
    return components(
        [
            str(name.get("family", "")),
            given[0] if given else "",
            " ".join(given[1:]),
            " ".join(name.get("suffix", ())),
            " ".join(name.get("prefix", ())),
            "",
            _NAME_USE.get(str(name.get("use", "")), ""),
        ],
        encoding,
    )


def _address(address: dict[str, Any], encoding: Encoding) -> str:
    lines = list(address.get("line", ()))
    return components(
        [
            lines[0] if lines else "",
            " ".join(lines[1:]),
            str(address.get("city", "")),
            str(address.get("state", "")),
            str(address.get("postalCode", "")),
            str(address.get("country", "")),
            {"home": "H", "work": "O", "temp": "C", "old": "BA"}.get(str(address.get("use")), ""),
        ],
        encoding,
    )


def _telecom(point: dict[str, Any], encoding: Encoding) -> str:
    system, value = point.get("system"), str(point.get("value", ""))
    if system == "email":
        return components(["", "NET", "Internet", value], encoding)
    equipment = {"phone": "PH", "fax": "FX", "pager": "BP"}.get(str(system), "")
    use = _PHONE_USE.get(str(point.get("use", "")), "")
    return components([value, use, equipment], encoding)


def pid_segment(patient: dict[str, Any], encoding: Encoding, set_id: int = 1) -> str:
    """The PID segment of a Patient."""
    fields = [""] * 29
    fields[0] = str(set_id)
    identifiers = patient.get("identifier", ())
    fields[2] = repeated([_identifier(i, encoding) for i in identifiers], encoding)
    fields[4] = repeated([_name(n, encoding) for n in patient.get("name", ())], encoding)
    fields[6] = v2_date(patient.get("birthDate"))
    fields[7] = _SEX.get(str(patient.get("gender", "")), "")
    fields[10] = repeated([_address(a, encoding) for a in patient.get("address", ())], encoding)
    fields[12] = repeated([_telecom(t, encoding) for t in patient.get("telecom", ())], encoding)
    fields[28] = v2_date(patient.get("deceasedDateTime"))
    return segment("PID", fields, encoding)

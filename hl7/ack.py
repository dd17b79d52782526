"""Build HL7 v2 acknowledgements (original mode): MSH, MSA and one ERR per problem.

HL7 v2.5 chapter 2.9 (acknowledgment messages) and 2.15.5 (ERR). The ACK answers in
the version of the message it acknowledges, with its delimiters, and with sender and
receiver swapped (MSH-3/4 <-> MSH-5/6, copied as sent). MSA-2 is the original MSH-10.

ERR takes two shapes: from v2.5 on, ERR-2 (location), ERR-3 (table 0357 code),
ERR-4 (severity) and ERR-8 (a message for a person); up to v2.4, ERR-1 (location and
code together), with the readable text in MSA-3.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final, Literal

from hl7.charset import codec_for
from hl7.encoding import DEFAULT, Encoding
from hl7.er7 import Message, ParseError, parse
from hl7.escapes import escape

__all__ = [
    "AckCode",
    "AckError",
    "ack_bytes",
    "ack_for_raw",
    "build_ack",
    "error_from_parse",
]

Severity = Literal["E", "W", "I", "F"]  # HL7 table 0516


class AckCode(StrEnum):
    """MSA-1 in original mode (table 0008)."""

    ACCEPT = "AA"
    ERROR = "AE"
    REJECT = "AR"


# HL7 table 0357, message error condition codes (v2.5 to v2.8).
ERROR_CODES: Final[dict[str, str]] = {
    "0": "Message accepted",
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "104": "Value too long",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}
_FALLBACK_VERSION: Final = "2.5"
_ERR_FIELDS_FROM: Final = (2, 5)  # ERR-2..ERR-8 exist from v2.5 on
_MSA3_UNTIL: Final = (2, 7)  # MSA-3 was withdrawn in v2.7
_STRUCTURE_FROM: Final = (2, 3, 1)  # MSH-9.3 exists from v2.3.1 on


@dataclass(frozen=True, slots=True)
class AckError:
    """One problem to report in an ERR segment."""

    message: str  # ERR-8: what a person at the sending system should read
    code: str = "207"  # ERR-3: table 0357
    location: str | None = None  # ERR-2: "PID^1^3" (segment^occurrence^field[^rep^comp^sub])
    severity: Severity = "E"  # ERR-4


def error_from_parse(exc: ParseError) -> AckError:
    """The ERR content for a message that could not be parsed."""
    return AckError(message=exc.reason, code=exc.code, location=exc.location)


def _version_tuple(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in version.split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S+0000")


def _new_control_id() -> str:
    return uuid.uuid4().hex[:20]  # MSH-10 is at most 20 characters up to v2.6


def _coded(code: str, encoding: Encoding, separator: str) -> str:
    text = escape(ERROR_CODES.get(code, ""), encoding)
    return separator.join((code, text, "HL70357"))


def _location(location: str | None, encoding: Encoding) -> str:
    # Locations are written with "^"; the ACK may use other delimiters.
    return (location or "").replace("^", encoding.component)


@dataclass(frozen=True, slots=True)
class _Header:
    """The MSH fields an ACK takes from what it acknowledges, already in ER7."""

    sender: str  # MSH-3|MSH-4 of the ACK (the original MSH-5|MSH-6), as sent
    receiver: str  # MSH-5|MSH-6 of the ACK (the original MSH-3|MSH-4), as sent
    event: str
    control_id: str
    processing_id: str
    version: str
    charset: str


def _header_of(original: Message) -> _Header:
    msh = original.msh
    sep = original.encoding.field
    return _Header(
        sender=msh.raw_field(5) + sep + msh.raw_field(6),
        receiver=msh.raw_field(3) + sep + msh.raw_field(4),
        event=original.trigger_event,
        control_id=msh.raw_field(10),
        processing_id=msh.raw_field(11) or "P",
        version=msh.raw_field(12) or _FALLBACK_VERSION,
        charset=msh.raw_field(18),
    )


def _render(
    header: _Header,
    encoding: Encoding,
    code: AckCode,
    errors: Sequence[AckError],
    text: str,
    control_id: str | None,
    timestamp: str | None,
) -> str:
    f, c = encoding.field, encoding.component
    version = _version_tuple(header.version.split(c)[0])
    message_type = "ACK"
    if header.event:
        message_type += c + escape(header.event, encoding)
        if version >= _STRUCTURE_FROM:
            message_type += c + "ACK"
    msh = [
        "MSH",
        encoding.msh2,
        header.sender,
        header.receiver,
        timestamp or _now(),
        "",
        message_type,
        escape(control_id or _new_control_id(), encoding),
        header.processing_id,
        header.version,
    ]
    if header.charset:
        msh += ["", "", "", "", "", header.charset]  # MSH-13..MSH-18
    summary = text or "; ".join(e.message for e in errors)
    msa = ["MSA", code.value, header.control_id]
    if summary and version < _MSA3_UNTIL:
        msa.append(escape(summary, encoding))
    segments = [f.join(msh), f.join(msa)]
    if version >= _ERR_FIELDS_FROM:
        segments += [_err_v25(error, encoding) for error in errors]
    elif errors:
        segments.append(_err_v24(errors, encoding))
    return "\r".join(segments)


def _err_v25(error: AckError, encoding: Encoding) -> str:
    fields = [
        "ERR",
        "",
        _location(error.location, encoding),
        _coded(error.code, encoding, encoding.component),
        error.severity,
        "",
        "",
        "",
        escape(error.message, encoding),
    ]
    return encoding.field.join(fields)


def _err_v24(errors: Sequence[AckError], encoding: Encoding) -> str:
    # ERR-1 (ELD): segment^sequence^field^code, the code a CE in sub-components.
    c = encoding.component
    eld = []
    for error in errors:
        segment, sequence, position = [*_location(error.location, encoding).split(c), "", ""][:3]
        code = _coded(error.code, encoding, encoding.subcomponent)
        eld.append(c.join((segment, sequence, position, code)))
    return "ERR" + encoding.field + encoding.repetition.join(eld)


def build_ack(
    original: Message,
    code: AckCode = AckCode.ACCEPT,
    errors: Sequence[AckError] = (),
    *,
    text: str = "",
    control_id: str | None = None,
    timestamp: str | None = None,
) -> str:
    """The ACK for a parsed message, as ER7 text with "\\r" segment separators."""
    return _render(
        _header_of(original), original.encoding, code, errors, text, control_id, timestamp
    )


def _salvage_control_id(data: str) -> str:
    """MSH-10 read without trusting the delimiters, "" when there is no usable MSH."""
    start = data.find("MSH")
    line = data[start:].split("\r", 1)[0].split("\n", 1)[0] if start >= 0 else ""
    if len(line) < 4:
        return ""
    fields = line.split(line[3])
    return fields[9] if len(fields) > 9 else ""


def ack_for_raw(
    data: str | bytes,
    error: AckError,
    code: AckCode = AckCode.REJECT,
    *,
    control_id: str | None = None,
    timestamp: str | None = None,
) -> str:
    """An AE or AR for raw input; input that cannot be parsed gets a best-effort AR.

    For unparseable input the ACK uses the standard delimiters and v2.5, with MSA-2
    taken from whatever looks like MSH-10, so the sender can still correlate it.
    """
    try:
        original = parse(data)
    except ParseError:
        text = data.decode("latin-1") if isinstance(data, bytes) else data
        header = _Header(
            sender=DEFAULT.field,
            receiver=DEFAULT.field,
            event="",
            control_id=escape(_salvage_control_id(text), DEFAULT),
            processing_id="P",
            version=_FALLBACK_VERSION,
            charset="",
        )
        return _render(header, DEFAULT, AckCode.REJECT, [error], "", control_id, timestamp)
    return build_ack(original, code, [error], control_id=control_id, timestamp=timestamp)


def ack_bytes(ack: str) -> bytes:
    """Encode an ACK for the wire in the charset its MSH-18 names, else UTF-8."""
    codec = codec_for(parse(ack).msh.get(18)) or "utf-8"
    return ack.encode(codec, errors="replace")

"""Parse ER7 (pipe-and-hat) HL7 v2 messages, fast enough for the ingest path.

``parse`` splits a message into segments eagerly and everything below that lazily:
a segment splits its fields on first access, a field its repetitions, components and
sub-components on first access, and escapes are decoded per leaf value. Nothing is
validated against a message structure, so Z segments and segments a structure does
not expect are kept in order (HL7 v2.5 chapter 2.6; hl7apy's grouping drops them).

Numbering is the standard one, 1-based: for MSH, field 1 is the field separator and
field 2 the encoding characters, so ``msh.get(9, 2)`` is the trigger event.

Values:
- absent (field not sent, or empty) -> ``""``;
- explicit null (``""`` on the wire) -> ``NULL``, the two-character string ``'""'``;
- otherwise the decoded text, escape sequences resolved (``hl7.escapes``), line breaks
  as ``"\\n"``.

Leniency (legacy archives are messy, and losing data is worse than guessing):
segment separators ``\\r``, ``\\n`` and ``\\r\\n`` are all accepted; blank lines and
MLLP framing bytes around the message are ignored; a line that does not start with a
segment name (a raw line break inside a field) is joined to the segment before it
with ``"\\n"`` and reported in ``Message.warnings``.
"""

from __future__ import annotations

import re
from typing import Final

from hl7.charset import decode_bytes
from hl7.encoding import Encoding, encoding_from_msh
from hl7.escapes import unescape
from hl7.structures import structure_for

__all__ = ["NULL", "Message", "ParseError", "Segment", "parse"]

NULL: Final[str] = '""'

_SEGMENT_NAME: Final = re.compile(r"[A-Z][A-Z0-9]{2}")
# Framing bytes, a BOM or DOS end-of-file marker, and blank space around a message.
_LEADING: Final = "\x0b\x1c\x1a\x00\ufeff\r\n\t "
_TRAILING: Final = "\x0b\x1c\x1a\x00\r\n"

Components = list[list[str]]


class ParseError(ValueError):
    """Input that cannot be read as an ER7 message.

    ``reason`` is a sentence for a person; ``location`` an ERR-2 style position
    (``"MSH^1^9"``: segment, occurrence, field) or None; ``code`` the HL7 table 0357
    error code an ACK should carry.
    """

    def __init__(self, reason: str, location: str | None = None, code: str = "102") -> None:
        super().__init__(reason if location is None else f"{reason} (at {location})")
        self.reason = reason
        self.location = location
        self.code = code


class Segment:
    """One segment; fields are split and decoded when first asked for."""

    __slots__ = ("_encoding", "_fields", "_split_cache", "name", "raw")

    def __init__(self, raw: str, encoding: Encoding) -> None:
        self.raw = raw
        self.name = raw[:3]
        self._encoding = encoding
        self._fields: list[str] | None = None
        self._split_cache: dict[int, list[Components]] = {}

    def __repr__(self) -> str:
        return f"Segment({self.raw!r})"

    @property
    def encoding(self) -> Encoding:
        """The delimiters of the message this segment belongs to."""
        return self._encoding

    def _all_fields(self) -> list[str]:
        """Raw fields indexed by their number; index 0 is the segment name."""
        fields = self._fields
        if fields is None:
            fields = self.raw.split(self._encoding.field)
            if self.name == "MSH":
                # MSH-1 is the separator itself, so the text after "MSH" starts at MSH-2.
                fields.insert(1, self._encoding.field)
            self._fields = fields
        return fields

    def raw_field(self, field: int) -> str:
        """The undecoded ER7 text of a field, "" when absent."""
        fields = self._all_fields()
        return fields[field] if 0 < field < len(fields) else ""

    def field_count(self) -> int:
        """The number of the last field that holds something (0 when none does)."""
        fields = self._all_fields()
        count = len(fields) - 1
        while count > 0 and not fields[count]:
            count -= 1
        return count

    def reps(self, field: int) -> list[Components]:
        """Each repetition of a field as components of decoded sub-components; [] if absent.

        The lists are cached and shared between calls: read them, do not modify them.
        """
        cached = self._split_cache.get(field)
        if cached is not None:
            return cached
        raw = self.raw_field(field)
        if not raw:
            split: list[Components] = []
        elif self.name == "MSH" and field in (1, 2):
            split = [[[raw]]]  # the delimiters themselves: neither split nor decoded
        else:
            split = _split_field(raw, self._encoding)
        self._split_cache[field] = split
        return split

    def get(self, field: int, component: int = 1, sub: int = 1, rep: int = 1) -> str:
        """Decoded value (escapes resolved), "" when absent, NULL when explicitly null."""
        raw = self.raw_field(field)
        if not raw:
            return ""
        if raw.isalnum() or not _has_any(raw, self._encoding.msh2):
            # Most values are a single plain leaf: no split, no decode, no cache.
            return raw if component == 1 and sub == 1 and rep == 1 else ""
        if self.name == "MSH" and field in (1, 2):
            return raw if component == 1 and sub == 1 and rep == 1 else ""
        if min(rep, component, sub) < 1:
            return ""
        try:
            return self.reps(field)[rep - 1][component - 1][sub - 1]
        except IndexError:
            return ""


def _has_any(text: str, characters: str) -> bool:
    return any(c in text for c in characters)


def _split_field(raw: str, encoding: Encoding) -> list[Components]:
    esc, sub = encoding.escape, encoding.subcomponent
    if esc not in raw and sub not in raw:
        # The common case: components only, nothing to decode.
        return [[[c] for c in r.split(encoding.component)] for r in raw.split(encoding.repetition)]
    return [
        [
            [unescape(leaf, encoding) if esc in leaf else leaf for leaf in comp.split(sub)]
            for comp in repetition.split(encoding.component)
        ]
        for repetition in raw.split(encoding.repetition)
    ]


class Message:
    """A parsed message: its segments in order and the MSH facts every consumer needs."""

    __slots__ = ("encoding", "msh", "raw", "segments", "warnings")

    def __init__(self, segments: list[Segment], encoding: Encoding, warnings: list[str]) -> None:
        self.segments = segments
        self.msh = segments[0]
        self.encoding = encoding
        self.raw = "\r".join(s.raw for s in segments)
        self.warnings = warnings

    def __repr__(self) -> str:
        return f"Message({self.message_code}^{self.trigger_event} {self.control_id!r})"

    def segment(self, name: str) -> Segment | None:
        """The first segment with this name, or None."""
        for seg in self.segments:
            if seg.name == name:
                return seg
        return None

    def segments_named(self, name: str) -> list[Segment]:
        """Every segment with this name, in message order."""
        return [seg for seg in self.segments if seg.name == name]

    @property
    def message_code(self) -> str:
        """MSH-9.1, e.g. "ADT"."""
        return self.msh.get(9, 1)

    @property
    def trigger_event(self) -> str:
        """MSH-9.2, e.g. "A04"; v2.1 and v2.2 senders may carry it only in EVN-1."""
        event = self.msh.get(9, 2)
        if not event:
            evn = self.segment("EVN")
            event = evn.get(1) if evn is not None else ""
        return event

    @property
    def structure(self) -> str:
        """MSH-9.3 as sent, else the standard structure for the code and event ("" if none)."""
        return self.msh.get(9, 3) or self.standard_structure

    @property
    def standard_structure(self) -> str:
        """The structure table 0354 gives for MSH-9.1/9.2, ignoring MSH-9.3 ("" if none)."""
        return structure_for(self.message_code, self.trigger_event)

    @property
    def control_id(self) -> str:
        """MSH-10, the message control id."""
        return self.msh.get(10)

    @property
    def processing_id(self) -> str:
        """MSH-11.1, "P" (production), "T" (training) or "D" (debugging)."""
        return self.msh.get(11)

    @property
    def version(self) -> str:
        """MSH-12.1, e.g. "2.5.1"."""
        return self.msh.get(12)

    def _hd(self, field: int) -> str:
        # An HD may carry only its universal id (HD.2) when the namespace (HD.1) is empty.
        return self.msh.get(field, 1) or self.msh.get(field, 2)

    @property
    def sending_application(self) -> str:
        """MSH-3.1 (HD namespace id), or MSH-3.2 (universal id) when only that is sent."""
        return self._hd(3)

    @property
    def sending_facility(self) -> str:
        """MSH-4.1, or MSH-4.2 when only that is sent."""
        return self._hd(4)

    @property
    def receiving_application(self) -> str:
        """MSH-5.1, or MSH-5.2 when only that is sent."""
        return self._hd(5)

    @property
    def receiving_facility(self) -> str:
        """MSH-6.1, or MSH-6.2 when only that is sent."""
        return self._hd(6)

    @property
    def timestamp(self) -> str:
        """MSH-7.1 as sent (not converted), e.g. "20240131083000-0500"."""
        return self.msh.get(7)


def _read_msh(line: str) -> Encoding:
    if not line.startswith("MSH"):
        raise ParseError("the message does not start with an MSH segment", "MSH^1", code="100")
    if len(line) < 8:
        raise ParseError("the MSH segment is too short to hold its delimiters", "MSH^1^2")
    field_separator = line[3]
    end = line.find(field_separator, 4)
    msh2 = line[4:] if end < 0 else line[4:end]
    try:
        return encoding_from_msh(field_separator, msh2)
    except ValueError as exc:
        raise ParseError(str(exc), "MSH^1^2") from None


def _lines(text: str) -> list[str]:
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    # Only line ends are stripped at the end: trailing spaces may be data.
    return text.lstrip(_LEADING).rstrip(_TRAILING).split("\r")


def parse(data: str | bytes) -> Message:
    """Parse one ER7 message; raise ParseError when it cannot be read at all."""
    text = decode_bytes(bytes(data)) if isinstance(data, bytes | bytearray) else data
    lines = _lines(text)
    encoding = _read_msh(lines[0])
    segments: list[Segment] = []
    warnings: list[str] = []
    field_separator = encoding.field
    for line in lines:
        if _is_segment(line, field_separator):
            segments.append(Segment(line, encoding))
        elif not line.strip():
            continue
        elif _is_segment(line.lstrip(" \t"), field_separator):
            warnings.append(f"blanks before segment {len(segments) + 1} were removed")
            segments.append(Segment(line.lstrip(" \t"), encoding))
        else:
            previous = segments[-1]
            warnings.append(
                f"a line break inside {previous.name} (segment {len(segments)}) was kept as "
                "part of its text"
            )
            segments[-1] = Segment(previous.raw + "\n" + line, encoding)
    return Message(segments, encoding, warnings)


def _is_segment(line: str, field_separator: str) -> bool:
    return (len(line) == 3 or line[3:4] == field_separator) and bool(
        _SEGMENT_NAME.fullmatch(line[:3])
    )

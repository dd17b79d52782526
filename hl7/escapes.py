"""ER7 escape sequences: decode them in received values, write them in values we send.

HL7 v2.5 chapter 2.7 (use of escape sequences in text fields). Decoding covers the
delimiter escapes (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\, and \\P\\ for the v2.7 truncation
character), hexadecimal data (\\Xhh..\\), highlighting (\\H\\ \\N\\, dropped), the
formatting commands of formatted text (\\.br\\ \\.sp\\ \\.sk\\ ...), character-set
switches (\\Cxxyy\\ \\Mxxyyzz\\, dropped) and local escapes (\\Z..\\, kept verbatim).

Line breaks decode to "\\n", whichever way the sender wrote them: \\.br\\, \\.sp\\,
\\X0D0A\\ (Epic), \\X0A\\ or \\X0D\\. A sequence we do not recognise, or an escape
character without a closing one, is kept as it was written: legacy data is never lost.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from hl7.encoding import Encoding

_FORMAT_COMMAND: Final = re.compile(r"\.(br|sp|sk|in|ti|ce|fi|nf)([+-]?\d*)")
_HEX: Final = re.compile(r"(?:[0-9A-Fa-f]{2})+")
# C0 control characters other than tab and line feed would break framing or segments.
_CONTROL_CHARS: Final = frozenset(chr(c) for c in range(32)) - {"\t", "\n"}


def _decode_hex(digits: str) -> str:
    data = bytes.fromhex(digits)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _format_command(name: str, count: str) -> str:
    # .sp n skips n lines and .sk n skips n spaces; the others only change layout.
    times = int(count) if count.lstrip("+-").isdigit() else 1
    if name in ("br", "ce"):
        return "\n"
    if name == "sp":
        return "\n" * max(times, 1)
    if name == "sk":
        return " " * max(times, 1)
    return ""


@lru_cache(maxsize=64)
def _simple_escapes(encoding: Encoding) -> dict[str, str]:
    table = {
        "F": encoding.field,
        "S": encoding.component,
        "T": encoding.subcomponent,
        "R": encoding.repetition,
        "E": encoding.escape,
        "H": "",
        "N": "",
    }
    if encoding.truncation:
        table["P"] = encoding.truncation
    return table


def _decode_sequence(body: str, encoding: Encoding) -> str | None:
    """The text an escape sequence stands for, or None when it is not one we know."""
    simple = _simple_escapes(encoding).get(body)
    if simple is not None:
        return simple
    head, rest = body[:1], body[1:]
    if head == "X" and _HEX.fullmatch(rest):
        return _decode_hex(rest)
    if head in ("C", "M") and _HEX.fullmatch(rest):
        return ""
    command = _FORMAT_COMMAND.fullmatch(body)
    if command:
        return _format_command(command.group(1), command.group(2))
    return None


def unescape(text: str, encoding: Encoding) -> str:
    """Resolve every escape sequence in one leaf value (a component or sub-component)."""
    esc = encoding.escape
    if esc not in text:
        return text
    out: list[str] = []
    start = 0
    while True:
        opening = text.find(esc, start)
        closing = text.find(esc, opening + 1) if opening >= 0 else -1
        if closing < 0:
            out.append(text[start:])
            return "".join(out)
        decoded = _decode_sequence(text[opening + 1 : closing], encoding)
        if decoded is None:
            # Keep the lone escape character and look for a sequence starting after it.
            out.append(text[start : opening + 1])
            start = opening + 1
        else:
            out.append(text[start:opening])
            out.append(decoded)
            start = closing + 1


@lru_cache(maxsize=64)
def _escape_table(encoding: Encoding) -> dict[int, str]:
    esc = encoding.escape
    table = {ord(c): f"{esc}X{ord(c):02X}{esc}" for c in _CONTROL_CHARS}
    table.update(
        {
            ord(esc): f"{esc}E{esc}",
            ord(encoding.field): f"{esc}F{esc}",
            ord(encoding.component): f"{esc}S{esc}",
            ord(encoding.subcomponent): f"{esc}T{esc}",
            ord(encoding.repetition): f"{esc}R{esc}",
            ord("\n"): f"{esc}.br{esc}",
        }
    )
    if encoding.truncation:
        table[ord(encoding.truncation)] = f"{esc}P{esc}"
    return table


def escape(text: str, encoding: Encoding) -> str:
    """Write a value so that it survives as one leaf: delimiters and line breaks escaped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_escape_table(encoding))

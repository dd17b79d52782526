"""Turn received bytes into text: the charset MSH-18 names, else UTF-8, else Latin-1.

MSH-18 values are HL7 table 0211. A message that names no charset is read as UTF-8
(ASCII is a subset) and, when it is not valid UTF-8, as Latin-1: legacy interfaces
mostly send ISO 8859-1 or Windows-1252 without saying so, and Latin-1 maps every byte
to a character, so nothing is lost and the decode cannot fail. A named charset that
does not decode the bytes falls back the same way.
"""

from __future__ import annotations

import codecs
from typing import Final

# HL7 table 0211 -> Python codec. "UNICODE" (UCS-2) is left out: ER7 delimiters are
# single bytes, so a UTF-16 message could not be split before decoding anyway.
_TABLE_0211: Final[dict[str, str]] = {
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    "8859/1": "latin-1",
    "ISO IR100": "latin-1",
    "8859/2": "iso8859-2",
    "8859/3": "iso8859-3",
    "8859/4": "iso8859-4",
    "8859/5": "iso8859-5",
    "8859/6": "iso8859-6",
    "8859/7": "iso8859-7",
    "8859/8": "iso8859-8",
    "8859/9": "iso8859-9",
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": "utf-8",
    "ISO IR192": "utf-8",
    "UTF-8": "utf-8",
    "ISO IR87": "iso2022_jp",
    "ISO IR159": "iso2022_jp_2",
    "KS X 1001": "euc_kr",
    "CNS 11643-1992": "big5",
    "BIG-5": "big5",
    "GB 18030-2000": "gb18030",
    "WINDOWS-1252": "cp1252",
    "CP1252": "cp1252",
}
_UTF8_BOM: Final = codecs.BOM_UTF8


def codec_for(msh18: str) -> str | None:
    """The Python codec for an MSH-18 value (table 0211), or None when unknown."""
    return _TABLE_0211.get(msh18.strip().upper())


def declared_charset(data: bytes) -> str:
    """MSH-18's first repetition, read from the bytes of the MSH segment ("" if absent)."""
    start = data.find(b"MSH")
    if start < 0 or len(data) < start + 8:
        return ""
    end = len(data)
    for separator in (b"\r", b"\n"):
        found = data.find(separator, start)
        if 0 <= found < end:
            end = found
    msh = data[start:end]
    if len(msh) < 8:
        return ""  # too short to hold MSH-1 and MSH-2, let alone MSH-18
    field_separator = msh[3:4]
    fields = msh.split(field_separator)
    # fields[0] is "MSH" and fields[1] is MSH-2, so MSH-n is fields[n - 1].
    if len(fields) < 18:
        return ""
    repetition = msh[5:6] or b"~"
    first = fields[17].split(repetition)[0]
    return first.decode("ascii", "replace")


def decode_bytes(data: bytes) -> str:
    """Decode one message (or a file of them) as described in the module docstring."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    codec = codec_for(declared_charset(data))
    for candidate in (codec, "utf-8"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")

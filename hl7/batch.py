"""Split a file or stream holding many ER7 messages into one chunk of bytes per message.

Accepted layouts, also mixed in one file:
- messages one after another, segments ended by ``\\r``, ``\\n`` or ``\\r\\n``, with
  or without blank lines between them;
- MLLP-framed messages (``0x0B`` message ``0x1C 0x0D``), as captured from a socket;
- HL7 batches (HL7 v2.5 chapter 2.10.3): ``FHS``/``BHS`` headers and ``BTS``/``FTS``
  trailers around messages. The envelope segments are not part of any message; each
  message remembers the control id of its batch (BHS-11).

A message starts at an ``MSH`` line and runs until the next ``MSH``, an envelope
segment or a frame boundary. Lines that belong to no message (text before the first
``MSH``, junk between frames) are yielded too, as their own chunk, so that the caller
reports them instead of losing them silently; parsing such a chunk fails with a
ParseError. Every chunk carries its position: index in the input and byte offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from hl7.framing import END_BLOCK, START_BLOCK

__all__ = ["MessageSplitter", "RawMessage", "iter_messages", "read_messages", "split_messages"]

# A line (bytes up to a segment separator or framing byte), or one framing byte.
_TOKEN: Final = re.compile(rb"[^\r\n\x0b\x1c]+|[\x0b\x1c]")
_ENVELOPE: Final = frozenset({b"FHS", b"BHS", b"BTS", b"FTS"})
_BLANK: Final = b" \t\x00\x1a"
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_CHUNK_BYTES: Final = 1 << 20
_MAX_CHUNK_BYTES: Final = 64 << 20


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message's bytes, framing and envelope removed, and where it was found."""

    index: int  # 0-based, in input order, counting every chunk yielded
    offset: int  # byte offset of its first byte in the input
    data: bytes
    batch_id: str = ""  # BHS-11 of the enclosing batch, "" outside a batch


def _segment_name(line: bytes) -> bytes:
    """The segment name a line starts with, b"" when it does not look like a segment."""
    name = line[:3]
    if len(name) == 3 and name.isalnum() and (len(line) == 3 or not line[3:4].isalnum()):
        return name
    return b""


def _batch_id(bhs: bytes) -> str:
    # BHS is numbered like MSH: BHS-1 is the separator, so BHS-11 is the tenth split part.
    parts = bhs.split(bhs[3:4]) if len(bhs) > 3 else []
    return parts[10].decode("latin-1") if len(parts) > 10 else ""


class MessageSplitter:
    """Incremental splitter: ``feed`` bytes as they arrive, ``close`` at the end.

    A chunk never grows past ``max_chunk_bytes`` (so a huge file without any MSH cannot
    exhaust memory): a longer run of lines is cut at a line boundary, and the rest
    becomes a chunk of its own, which then fails to parse and is reported.
    """

    def __init__(self, max_chunk_bytes: int = _MAX_CHUNK_BYTES) -> None:
        self._max_chunk_bytes = max_chunk_bytes
        self._buffer = b""
        self._base = 0  # input offset of self._buffer[0]
        self._scanned = 0  # buffer position up to which tokens have been read
        self._start: int | None = None  # buffer position where the open chunk starts
        self._end = 0  # buffer position just past the open chunk's last line
        self._index = 0
        self._batch_id = ""
        self._first = True

    def feed(self, data: bytes) -> list[RawMessage]:
        """Add bytes; return the chunks that are now known to be complete."""
        self._buffer += data
        if self._first:
            if len(self._buffer) < len(_UTF8_BOM):
                return []  # cannot tell yet whether the input starts with a BOM
            self._skip_bom()
        done = self._scan(final=False)
        self._compact()
        return done

    def close(self) -> list[RawMessage]:
        """Flush the last chunk."""
        if self._first:
            self._skip_bom()
        done = self._scan(final=True)
        done.extend(self._emit())
        self._compact()
        return done

    def _skip_bom(self) -> None:
        self._first = False
        if self._buffer.startswith(_UTF8_BOM):
            self._buffer = self._buffer[len(_UTF8_BOM) :]
            self._base = len(_UTF8_BOM)

    def _scan(self, *, final: bool) -> list[RawMessage]:
        done: list[RawMessage] = []
        buffer = self._buffer
        for token in _TOKEN.finditer(buffer, self._scanned):
            if (
                token.end() == len(buffer)
                and not final
                and token.group() not in (START_BLOCK, END_BLOCK)
            ):
                break  # the line may continue in the next chunk
            self._scanned = token.end()
            self._take(token, done)
        return done

    def _take(self, token: re.Match[bytes], done: list[RawMessage]) -> None:
        text = token.group()
        if text in (START_BLOCK, END_BLOCK):
            done.extend(self._emit())
            return
        line = text.lstrip(_BLANK)
        if not line.rstrip(_BLANK):
            return  # blank: not a start, and as a continuation it adds nothing
        name = _segment_name(line)
        if name in _ENVELOPE:
            done.extend(self._emit())
            if name == b"BHS":
                self._batch_id = _batch_id(line)
            elif name == b"BTS":
                self._batch_id = ""
            return
        if name == b"MSH":
            done.extend(self._emit())
        if self._start is None:
            self._start = token.start()
        self._end = token.end()
        if self._end - self._start >= self._max_chunk_bytes:
            done.extend(self._emit())

    def _emit(self) -> list[RawMessage]:
        if self._start is None:
            return []
        chunk = RawMessage(
            self._index,
            self._base + self._start,
            self._buffer[self._start : self._end],
            self._batch_id,
        )
        self._index += 1
        self._start = None
        return [chunk]

    def _compact(self) -> None:
        # Keep only what is still needed: the open chunk and the unscanned tail.
        keep = self._scanned if self._start is None else self._start
        if keep:
            self._buffer = self._buffer[keep:]
            self._base += keep
            self._scanned -= keep
            self._end = max(self._end - keep, 0)
            if self._start is not None:
                self._start -= keep


def split_messages(data: bytes) -> list[RawMessage]:
    """Split bytes already in memory."""
    splitter = MessageSplitter()
    return splitter.feed(data) + splitter.close()


def iter_messages(chunks: Iterable[bytes]) -> Iterator[RawMessage]:
    """Split bytes arriving in chunks of any size, yielding each message once complete."""
    splitter = MessageSplitter()
    for chunk in chunks:
        yield from splitter.feed(chunk)
    yield from splitter.close()


def _chunks(stream: BinaryIO, size: int) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def read_messages(
    source: Path | str | BinaryIO, chunk_bytes: int = _CHUNK_BYTES
) -> Iterator[RawMessage]:
    """Split a file (by path) or a binary stream without reading it whole into memory."""
    if isinstance(source, Path | str):
        with Path(source).open("rb") as stream:
            yield from iter_messages(_chunks(stream, chunk_bytes))
    else:
        yield from iter_messages(_chunks(source, chunk_bytes))

"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol, release 2): ``0x0B`` payload ``0x1C 0x0D``.

``FrameDecoder`` turns a byte stream into frames, tolerating what real senders do:
bytes outside a frame are skipped (and counted); a start byte inside an unfinished
frame abandons that frame and starts a new one (the sender gave up and resent); an
end byte without the trailing ``0x0D`` still ends the frame; a frame longer than the
limit is discarded as it streams in and reported as ``FrameTooLarge`` so the caller
can reject it without holding it in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

START_BLOCK: Final = b"\x0b"
END_BLOCK: Final = b"\x1c"
CARRIAGE_RETURN: Final = b"\r"
_START: Final = START_BLOCK[0]
_END: Final = END_BLOCK[0]
_HEAD_BYTES: Final = 4096


def frame(payload: bytes) -> bytes:
    """Wrap one message for the wire."""
    return START_BLOCK + payload + END_BLOCK + CARRIAGE_RETURN


@dataclass(frozen=True, slots=True)
class FrameTooLarge:
    """A frame that exceeded the limit; its bytes were dropped but for the first few."""

    size: int
    head: bytes  # the frame's first bytes, enough to read its MSH for the reject


class FrameDecoder:
    """Incremental MLLP decoder: ``feed`` bytes, get complete frames back in order."""

    def __init__(self, max_frame_bytes: int) -> None:
        self.max_frame_bytes = max_frame_bytes
        self.skipped_bytes = 0  # bytes seen outside any frame
        self.abandoned_frames = 0  # frames cut short by a new start byte
        self._buffer = bytearray()
        self._inside = False
        self._dropped = 0  # bytes of the current frame thrown away because it is too large
        self._head = b""  # first bytes of a frame that is being dropped
        self._scanned = 0  # buffer prefix already known to hold no start or end byte
        self._swallow_cr = False

    @property
    def in_frame(self) -> bool:
        """Whether a frame has started and not yet ended (a half-sent frame at EOF)."""
        return self._inside

    def feed(self, data: bytes) -> list[bytes | FrameTooLarge]:
        """Add received bytes; return every frame they complete."""
        buffer = self._buffer
        buffer += data
        frames: list[bytes | FrameTooLarge] = []
        while buffer:
            if self._swallow_cr:
                self._swallow_cr = False
                if buffer[0] == CARRIAGE_RETURN[0]:
                    del buffer[0]
                    continue
            if not self._inside:
                self._enter(buffer)
                if not self._inside:
                    break
                continue
            if not self._read_body(buffer, frames):
                break
        return frames

    def _enter(self, buffer: bytearray) -> None:
        start = buffer.find(_START)
        skipped = len(buffer) if start < 0 else start
        self.skipped_bytes += skipped
        del buffer[: skipped + (start >= 0)]
        if start >= 0:
            self._inside = True
            self._restart()

    def _restart(self) -> None:
        self._dropped, self._scanned, self._head = 0, 0, b""

    def _read_body(self, buffer: bytearray, frames: list[bytes | FrameTooLarge]) -> bool:
        """Consume frame bytes; True when a frame ended and more bytes may follow."""
        end = buffer.find(_END, self._scanned)
        restart = buffer.find(_START, self._scanned, len(buffer) if end < 0 else end)
        if restart >= 0:
            self.abandoned_frames += 1
            del buffer[: restart + 1]
            self._restart()
            return True
        if end < 0:
            self._scanned = len(buffer)
            if self._dropped + len(buffer) > self.max_frame_bytes:
                if not self._dropped:
                    self._head = bytes(buffer[:_HEAD_BYTES])
                self._dropped += len(buffer)
                buffer.clear()
                self._scanned = 0
            return False
        size = self._dropped + end
        if size > self.max_frame_bytes:
            frames.append(FrameTooLarge(size, self._head or bytes(buffer[: min(end, _HEAD_BYTES)])))
        else:
            frames.append(bytes(buffer[:end]))
        del buffer[: end + 1]
        self._inside, self._swallow_cr = False, True
        return True

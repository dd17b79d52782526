"""FrameDecoder: MLLP frames out of a byte stream, whatever the sender does."""

from __future__ import annotations

import pytest

from hl7.framing import FrameDecoder, FrameTooLarge, frame


def feed_all(decoder: FrameDecoder, data: bytes, size: int) -> list[bytes | FrameTooLarge]:
    frames: list[bytes | FrameTooLarge] = []
    for i in range(0, len(data), size):
        frames += decoder.feed(data[i : i + size])
    return frames


@pytest.mark.parametrize("size", [1, 2, 7, 1000])
def test_frames_come_out_in_order_whatever_the_chunking(size: int) -> None:
    data = frame(b"MSH|one") + frame(b"MSH|two") + frame(b"") + frame(b"MSH|three")

    assert feed_all(FrameDecoder(1000), data, size) == [b"MSH|one", b"MSH|two", b"", b"MSH|three"]


def test_bytes_outside_frames_are_skipped_and_counted() -> None:
    decoder = FrameDecoder(1000)

    frames = decoder.feed(b"GET / HTTP/1.1\r\n\r\n" + frame(b"MSH|ok") + b"\r\n\x00junk")

    assert frames == [b"MSH|ok"]
    assert decoder.skipped_bytes == len(b"GET / HTTP/1.1\r\n\r\n") + len(b"\r\n\x00junk")
    assert not decoder.in_frame


def test_a_new_start_byte_abandons_a_half_sent_frame() -> None:
    decoder = FrameDecoder(1000)

    first = decoder.feed(b"\x0bMSH|half sent")
    assert decoder.in_frame
    frames = first + decoder.feed(frame(b"MSH|resent"))

    assert frames == [b"MSH|resent"]
    assert decoder.abandoned_frames == 1


def test_end_byte_without_carriage_return_still_ends_the_frame() -> None:
    decoder = FrameDecoder(1000)

    assert decoder.feed(b"\x0bMSH|a\x1c\x0bMSH|b\x1c\r") == [b"MSH|a", b"MSH|b"]
    assert decoder.skipped_bytes == 0


@pytest.mark.parametrize("size", [3, 10, 4096])
def test_oversized_frame_is_dropped_and_reported_then_decoding_goes_on(size: int) -> None:
    big = b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|BIG1|P|2.5\r" + b"NTE|" + b"x" * 5000
    decoder = FrameDecoder(max_frame_bytes=1000)

    frames = feed_all(decoder, frame(big) + frame(b"MSH|small"), size)

    assert len(frames) == 2
    too_large = frames[0]
    assert isinstance(too_large, FrameTooLarge)
    assert too_large.size == len(big)
    assert too_large.head.startswith(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|BIG1")
    assert frames[1] == b"MSH|small"
    assert len(decoder._buffer) < 2000  # the big frame never sat in memory whole


def test_frame_of_exactly_the_limit_is_accepted() -> None:
    assert FrameDecoder(5).feed(frame(b"12345") + frame(b"123456")) == [
        b"12345",
        FrameTooLarge(6, b"123456"),
    ]

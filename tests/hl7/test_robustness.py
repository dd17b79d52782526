"""Bad input never crashes: properties over arbitrary bytes for every entry point."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hl7.ack import AckError, ack_for_raw
from hl7.batch import iter_messages, split_messages
from hl7.er7 import ParseError, parse
from hl7.framing import FrameDecoder, FrameTooLarge, frame

# Bytes that mean something to ER7 or MLLP turn up far more often than by chance.
_MEANINGFUL = [b"MSH|^~\\&|", b"|", b"^", b"~", b"\\", b"&", b"\r", b"\n", b"\x0b", b"\x1c\r"]
_NOISY_BYTES = st.lists(
    st.one_of(st.sampled_from(_MEANINGFUL), st.binary(max_size=8)), max_size=40
).map(b"".join)


def _read_everything(data: bytes) -> None:
    message = parse(data)
    for segment in message.segments:
        for number in range(segment.field_count() + 2):
            segment.reps(number)
            segment.get(number, 2, 2, 2)
    _ = (message.structure, message.control_id, message.version, message.sending_application)


@settings(max_examples=400, deadline=None)
@given(data=_NOISY_BYTES)
def test_parse_either_reads_or_raises_parse_error(data: bytes) -> None:
    error: ParseError | None = None
    try:
        _read_everything(data)
    except ParseError as exc:
        error = exc
    assert error is None or error.reason


@settings(max_examples=200, deadline=None)
@given(tail=_NOISY_BYTES)
def test_anything_after_a_valid_msh_is_readable(tail: bytes) -> None:
    _read_everything(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\r" + tail)


@settings(max_examples=200, deadline=None)
@given(data=_NOISY_BYTES, sizes=st.lists(st.integers(1, 9), min_size=1, max_size=20))
def test_splitting_is_lossless_and_independent_of_chunking(data: bytes, sizes: list[int]) -> None:
    whole = split_messages(data)
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        size = sizes[len(pieces) % len(sizes)]
        pieces.append(data[start : start + size])
        start += size

    assert list(iter_messages(pieces)) == whole
    for chunk in whole:
        assert data[chunk.offset : chunk.offset + len(chunk.data)] == chunk.data


@settings(max_examples=200, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=30).map(lambda b: b.translate(None, b"\x0b\x1c"))),
    garbage=st.binary(max_size=10).map(lambda b: b.replace(b"\x0b", b"")),
    size=st.integers(1, 17),
)
def test_frames_survive_garbage_between_them(
    payloads: list[bytes], garbage: bytes, size: int
) -> None:
    stream = b"".join(garbage + frame(p) for p in payloads)
    decoder = FrameDecoder(max_frame_bytes=20)
    out: list[bytes | FrameTooLarge] = []
    for i in range(0, len(stream), size):
        out += decoder.feed(stream[i : i + size])

    # Oversized frames come out as their size, in their place.
    assert [o.size if isinstance(o, FrameTooLarge) else o for o in out] == [
        p if len(p) <= 20 else len(p) for p in payloads
    ]


@settings(max_examples=200, deadline=None)
@given(data=_NOISY_BYTES)
def test_a_reject_can_be_built_for_anything(data: bytes) -> None:
    ack = parse(ack_for_raw(data, AckError("unreadable")))

    msa = ack.segment("MSA")
    assert msa is not None
    assert msa.get(1) == "AR"
    assert ack.message_code == "ACK"

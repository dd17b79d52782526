"""Splitting files and streams into messages: plain, MLLP-framed, FHS/BHS batches."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hl7.batch import MessageSplitter, iter_messages, read_messages, split_messages
from hl7.er7 import ParseError, parse
from tests.hl7.conftest import QUIRKS, corpus_files, quirk


@pytest.mark.parametrize(
    ("name", "control_ids"),
    [
        pytest.param("batch-fhs-bhs.hl7", ["B1-1", "B1-2", "B2-1"], id="fhs-bhs"),
        pytest.param("mllp-framed.hl7", ["F-1", "F-2", "F-3"], id="mllp"),
        pytest.param("many-messages-blank-lines.hl7", ["N-1", "N-2", "N-3", "N-4"], id="plain"),
    ],
)
def test_files_split_into_their_messages(name: str, control_ids: list[str]) -> None:
    data = quirk(name)
    chunks = split_messages(data)

    assert [parse(c.data).control_id for c in chunks] == control_ids
    assert [c.index for c in chunks] == list(range(len(control_ids)))
    for chunk in chunks:
        assert data[chunk.offset : chunk.offset + len(chunk.data)] == chunk.data
        assert chunk.data.startswith(b"MSH")
        assert [s.name for s in parse(chunk.data).segments] == ["MSH", "EVN", "PID"]


def test_batch_envelope_is_not_part_of_any_message_and_names_the_batch() -> None:
    chunks = split_messages(quirk("batch-fhs-bhs.hl7"))

    assert [c.batch_id for c in chunks] == ["BATCH-1", "BATCH-1", "BATCH-2"]
    for chunk in chunks:
        assert not any(tag in chunk.data for tag in (b"FHS", b"BHS", b"BTS", b"FTS"))


def test_text_outside_messages_is_yielded_as_its_own_chunk() -> None:
    data = b"garbage before\r\nMSH|^~\\&|A||||||ADT^A01|M1|P|2.5\r\x1c\rstray\x0bMSH|^~\\&|B\x1c\r"
    chunks = split_messages(data)

    assert [c.data for c in chunks] == [
        b"garbage before",
        b"MSH|^~\\&|A||||||ADT^A01|M1|P|2.5",
        b"stray",
        b"MSH|^~\\&|B",
    ]
    assert [c.offset for c in chunks] == [0, 16, 51, 57]
    assert [data.find(c.data) for c in chunks] == [c.offset for c in chunks]
    with pytest.raises(ParseError):
        parse(chunks[0].data)


def test_blank_input_yields_nothing() -> None:
    assert split_messages(b"") == []
    assert split_messages(b"\r\n \r\n\x1c\r") == []


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64])
def test_chunked_input_gives_the_same_messages_and_offsets(size: int) -> None:
    data = b"\xef\xbb\xbf" + quirk("batch-fhs-bhs.hl7") + quirk("mllp-framed.hl7") + b"tail"
    whole = split_messages(data)
    pieces = [data[i : i + size] for i in range(0, len(data), size)]

    assert list(iter_messages(pieces)) == whole
    assert len(whole) == 7
    for chunk in whole:
        assert data[chunk.offset : chunk.offset + len(chunk.data)] == chunk.data
    assert whole[-1].data == b"tail"


def test_read_messages_from_path_and_stream(tmp_path: Path) -> None:
    path = tmp_path / "archive.hl7"
    path.write_bytes(quirk("many-messages-blank-lines.hl7") * 50)

    from_path = list(read_messages(path, chunk_bytes=97))
    from_stream = list(read_messages(io.BytesIO(path.read_bytes()), chunk_bytes=4096))

    assert len(from_path) == 200
    assert from_path == from_stream
    assert from_path[-1].index == 199


def test_every_corpus_file_is_one_message() -> None:
    for path in corpus_files():
        assert len(split_messages(path.read_bytes())) == 1, path.name


def test_every_quirk_single_message_fixture_is_one_chunk() -> None:
    many = {"batch-fhs-bhs.hl7", "mllp-framed.hl7", "many-messages-blank-lines.hl7"}
    singles = [p for p in QUIRKS.glob("*.hl7") if p.name not in many]

    assert len(singles) >= 20
    for path in singles:
        chunks = split_messages(path.read_bytes())
        assert len(chunks) == 1, path.name


def test_chunks_are_cut_at_a_line_boundary_once_over_the_limit() -> None:
    splitter = MessageSplitter(max_chunk_bytes=30)
    data = b"junk line number one\rjunk line number two\rjunk 3\rMSH|^~\\&|A\r"

    chunks = splitter.feed(data) + splitter.close()

    assert [c.data for c in chunks] == [
        b"junk line number one\rjunk line number two",
        b"junk 3",
        b"MSH|^~\\&|A",
    ]
    assert [c.index for c in chunks] == [0, 1, 2]

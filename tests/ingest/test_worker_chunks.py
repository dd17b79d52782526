"""Messages go to the workers in chunks that start small and double up to the largest
(importer._batched): nothing is applied before the first chunk is back."""

from __future__ import annotations

from pathlib import Path

from hl7.batch import RawMessage
from server.hl7v2.ingest.importer import Located, _batched


def _messages(count: int) -> list[Located]:
    return [Located(Path("a.hl7"), RawMessage(n, 0, b"MSH|")) for n in range(count)]


def test_chunks_double_up_to_the_largest_in_order() -> None:
    messages = _messages(300)

    chunks = list(_batched(iter(messages), 16, 128))

    assert [len(c) for c in chunks] == [16, 32, 64, 128, 60]
    assert [m for c in chunks for m in c] == messages


def test_fewer_messages_than_a_first_chunk() -> None:
    assert [len(c) for c in _batched(iter(_messages(5)), 16, 128)] == [5]
    assert list(_batched(iter([]), 16, 128)) == []

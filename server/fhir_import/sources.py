"""Where an import reads from: files, folders and globs; ndjson lines or one JSON document."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from server.hl7v2.ingest.importer import NoInput, expand_paths

__all__ = ["NoInput", "expand_paths", "is_ndjson", "read_document", "read_lines"]

_GZIP_MAGIC = b"\x1f\x8b"
_NDJSON_SUFFIXES = (".ndjson", ".jsonl")


def is_ndjson(path: Path) -> bool:
    """Whether the file holds a resource a line (``.ndjson``, ``.jsonl``, gzipped or not)."""
    name = path.name.removesuffix(".gz")
    return name.endswith(_NDJSON_SUFFIXES)


def _open(path: Path) -> BinaryIO:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]


def read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Each non-blank line with its number (from 1), without its line end."""
    with _open(path) as stream:
        for number, line in enumerate(stream, start=1):
            stripped = line.rstrip(b"\r\n")
            if stripped.strip():
                yield number, stripped


def read_document(path: Path) -> bytes:
    """The whole (decompressed) file."""
    with _open(path) as stream:
        return stream.read()

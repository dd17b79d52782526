"""Where an import reads from: files, folders and globs; ndjson lines or one JSON document."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from server.hl7v2.ingest.importer import NoInput, expand_paths

__all__ = ["NoInput", "expand_paths", "input_size", "is_ndjson", "read_document", "read_lines"]

_GZIP_MAGIC = b"\x1f\x8b"
_NDJSON_SUFFIXES = (".ndjson", ".jsonl")


def is_ndjson(path: Path) -> bool:
    """Whether the file holds a resource a line (``.ndjson``, ``.jsonl``, gzipped or not)."""
    name = path.name.removesuffix(".gz")
    return name.endswith(_NDJSON_SUFFIXES)


def _gzipped(path: Path) -> bool:
    with path.open("rb") as probe:
        return probe.read(2) == _GZIP_MAGIC


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if _gzipped(path) else path.open("rb")  # type: ignore[return-value]


def input_size(files: list[Path]) -> int | None:
    """The bytes an import reads from ``files``; None when one is gzipped (not known ahead)."""
    if any(_gzipped(path) for path in files):
        return None
    return sum(path.stat().st_size for path in files)


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

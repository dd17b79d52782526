"""One type's ndjson files: a resource a line, a new file past a size."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from server.bulk.job import OutputFile


class TypeFiles:
    """Writes one type's resources into ``{type}-{n}.ndjson`` files under ``folder``.

    Blocking file I/O: the runner calls ``write`` and ``close`` on a worker thread.
    """

    def __init__(self, folder: Path, resource_type: str, max_bytes: int) -> None:
        self.folder = folder
        self.resource_type = resource_type
        self.max_bytes = max_bytes
        self.files: list[OutputFile] = []
        self._handle: BinaryIO | None = None
        self._size = 0

    def write(self, bodies: list[bytes]) -> None:
        """Append the stored JSON bodies (compact, one line each)."""
        for body in bodies:
            line = len(body) + 1
            if self._handle is None or (self._size + line > self.max_bytes and self._size):
                self._next_file()
            assert self._handle is not None
            self._handle.write(body)
            self._handle.write(b"\n")
            self._size += line
            self.files[-1].count += 1

    def close(self) -> list[OutputFile]:
        """Flush to disk and return the files written (none for no resources)."""
        self._finish()
        return self.files

    def _next_file(self) -> None:
        self._finish()
        name = f"{self.resource_type}-{len(self.files) + 1}.ndjson"
        self._handle = (self.folder / name).open("wb")
        self._size = 0
        self.files.append(OutputFile(self.resource_type, name, 0))

    def _finish(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            self._handle.close()
            self._handle = None

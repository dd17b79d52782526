"""A one-line progress display, on a terminal only (a pipe or a log gets nothing)."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """Resources done and the rate, redrawn in place at most a few times a second."""

    def __init__(self, stream: TextIO, every_s: float = 0.25) -> None:
        self.stream = stream
        self.shown = stream.isatty()
        self.every_s = every_s
        self.total = 0
        self.started = time.monotonic()
        self._drawn = 0.0

    def add(self, done: int) -> None:
        self.total += done
        now = time.monotonic()
        if self.shown and now - self._drawn >= self.every_s:
            self._drawn = now
            self._draw(now)

    def done(self) -> None:
        if self.shown:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, now: float) -> None:
        rate = self.total / max(now - self.started, 1e-9)
        self.stream.write(f"\rImporting: {self.total:,} resources ({rate:,.0f}/s)")
        self.stream.flush()

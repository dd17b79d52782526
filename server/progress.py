"""The live progress line of a long command (``hl7 import``, ``fhir import``), on a terminal only.

On a terminal the line is redrawn in place a few times a second: items done, items per
second, the outcomes so far and, when the amount of work is known up front, the time
left. Anywhere else (a pipe, a file, a CI log) it draws nothing at all, so that what
the command prints stays machine-readable; ``FORCE_COLOR`` and the like do not change
that, only a real terminal does.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Final, Self

from rich.console import Console
from rich.live import Live
from rich.text import Text

__all__ = ["ProgressLine"]

_REDRAW_EVERY: Final = 0.25  # seconds
# Outcomes that mean something was refused, drawn so that they stand out.
_REFUSED: Final = frozenset({"rejected", "failed"})


class ProgressLine:
    """Counts items and their outcomes; shows them on ``console`` when it is a terminal
    (and ``shown``: ``--no-progress`` turns the line off on a terminal too).

    ``total`` is the amount of work in the units ``add`` is given (bytes of the input,
    say), or None when it is not known; then the line gives no time left.
    """

    def __init__(
        self,
        unit: str,
        total: int | None = None,
        *,
        shown: bool = True,
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if console is None:
            console = Console(stderr=True, force_terminal=sys.stderr.isatty())
        self.unit = unit
        self.total = total
        self.count = 0
        self.outcomes: Counter[str] = Counter()
        self._work = 0
        self._clock = clock
        # The rate counts from the first item: opening the store and starting workers
        # would otherwise read as a slow start and a long time left.
        self._started = 0.0
        self._drawn = 0.0
        self._finished = False
        self._live = (
            Live(console=console, auto_refresh=False, get_renderable=self._render)
            if shown and console.is_terminal
            else None
        )

    def __enter__(self) -> Self:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._finished = True
        if self._live is not None:
            self._live.stop()  # draws the line a last time, and leaves it

    def add(self, outcome: str, work: int = 1) -> None:
        """Count one item that ended with ``outcome`` and took ``work`` of the total."""
        if not self.count:
            self._started = self._drawn = self._clock()
        self.count += 1
        self.outcomes[outcome] += 1
        self._work += work
        if self._live is None:
            return
        now = self._clock()
        if now - self._drawn >= _REDRAW_EVERY:
            self._drawn = now
            self._live.refresh()

    def _render(self) -> Text:
        elapsed = max(self._clock() - self._started, 1e-9)
        line = Text(f"Importing {self.count:,} {self.unit}  {self.count / elapsed:,.0f}/s  ")
        for index, (outcome, number) in enumerate(sorted(self.outcomes.items())):
            if index:
                line.append(", ")
            line.append(f"{number:,} {outcome}", style="red" if outcome in _REFUSED else None)
        left = self._time_left(elapsed)
        if left is not None:
            line.append(f"  {left} left")
        return line

    def _time_left(self, elapsed: float) -> str | None:
        if self._finished or self.total is None or not 0 < self._work < self.total:
            return None
        seconds = (self.total - self._work) * elapsed / self._work
        return str(timedelta(seconds=round(seconds)))

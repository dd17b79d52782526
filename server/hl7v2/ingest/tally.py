"""How many messages of each type had each outcome, in this process (for /metrics).

A message type counts under its own name only when it has the shape of one (``ADT^A04``);
anything else, and any type past the first ``MAX_TYPES``, counts as ``other``, so a sender
cannot grow the table without end.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

MAX_TYPES: Final = 256
_SHAPE: Final = re.compile(r"[A-Z0-9]{3}\^[A-Z0-9]{3}")


class OutcomeTally:
    """Counts of (message type, outcome)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self._types: set[str] = set()

    def count(self, message_type: str, outcome: str) -> None:
        kind = message_type[:7] if _SHAPE.match(message_type) else "other"
        if kind not in self._types:
            if len(self._types) >= MAX_TYPES:
                kind = "other"
            self._types.add(kind)
        self.counts[(kind, outcome)] += 1

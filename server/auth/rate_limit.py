"""Per-client rate limits of the token endpoint: a token bucket per client id.

A client may ask ``BURST`` times at once and then ``PER_MINUTE`` times a minute; one
token lasts minutes, so a well-behaved client asks a few times an hour. The buckets are
per server process (several processes each allow the rate), bounded in number so that
invented client ids cannot grow them without end.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

BURST = 10
PER_MINUTE = 10
MAX_BUCKETS = 10_000


class RateLimiter:
    """Token buckets by key."""

    def __init__(
        self,
        *,
        burst: int = BURST,
        per_minute: float = PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key: (tokens, at)

    def retry_after(self, key: str) -> int | None:
        """Take one request from ``key``'s bucket: None if allowed, else seconds to wait."""
        now = self.clock()
        tokens, at = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if len(self._buckets) >= MAX_BUCKETS:  # forget the least recently seen
            del self._buckets[next(iter(self._buckets))]
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return None
        self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

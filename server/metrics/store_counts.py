"""Counts the store keeps, for ``/metrics``: export jobs by state, and the depth of the
outbound HL7v2 feed's outbox (pending entries and dead letters) per destination.

They are read when ``/metrics`` is scraped, from the store's indexes, and kept for
``MAX_AGE`` seconds: several scrapers, or a dashboard refreshing, cost one read between
them. A gauge is there only where its queue is: the outbox's with ``--hl7-outbound``,
the jobs' once the exporter runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from server.bulk.job import State
from server.bulk.runner import Exporter
from server.runtime import Runtime
from server.storage.port import StoreUnavailable

__all__ = ["MAX_AGE", "StoreCounts"]

MAX_AGE: Final = 5.0  # seconds a count is reused

log = logging.getLogger("fhirport.metrics")


@dataclass(frozen=True, slots=True)
class _Counted:
    jobs: Mapping[str, int] | None = None  # by state
    outbox: Mapping[tuple[str, str], int] | None = None  # by (destination, status)
    at: float = field(default=float("-inf"))


class StoreCounts(Collector):
    """The counts last read (``refresh``), exposed as gauges."""

    def __init__(self, max_age: float = MAX_AGE, clock: Callable[[], float] = time.monotonic):
        self.max_age = max_age
        self._clock = clock
        self._counted = _Counted()
        self._reading = asyncio.Lock()

    async def refresh(self, runtime: Runtime | None, exporter: Exporter | None) -> None:
        """Read the counts again unless the last read is recent; a store that cannot be
        reached leaves the gauges out (``/readyz`` says why)."""
        async with self._reading:
            if self._clock() - self._counted.at < self.max_age:
                return
            try:
                self._counted = _Counted(
                    await _jobs(exporter),
                    await _outbox(runtime),
                    self._clock(),
                )
            except StoreUnavailable as exc:
                log.warning("/metrics could not count the store's queues: %s", exc)
                self._counted = _Counted(at=self._clock())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counted = self._counted
        if counted.jobs is not None:
            jobs = GaugeMetricFamily(
                "fhirport_export_jobs",
                "Bulk Data export jobs kept, by state (until they expire or are deleted).",
                labels=("state",),
            )
            for state in State:
                jobs.add_metric((state.value,), counted.jobs.get(state.value, 0))
            yield jobs
        if counted.outbox is not None:
            outbox = GaugeMetricFamily(
                "fhirport_hl7v2_outbox_entries",
                "Outbound HL7v2 messages not delivered: pending, or failed (the dead letters).",
                labels=("destination", "status"),
            )
            for (destination, status), count in sorted(counted.outbox.items()):
                outbox.add_metric((destination, status), count)
            yield outbox

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # what exists depends on the running server


async def _jobs(exporter: Exporter | None) -> Mapping[str, int] | None:
    if exporter is None:
        return None
    # Jobs live until they expire (--export-retention): few, whatever the store's size.
    return Counter(record.state for record in await exporter.records.jobs())


async def _outbox(runtime: Runtime | None) -> Mapping[tuple[str, str], int] | None:
    if runtime is None or runtime.outbound is None:
        return None
    counts = await runtime.store.outbox_depth()
    # Every destination shows both statuses, so that a queue that empties reads 0.
    for destination in runtime.outbound.feed.destinations:
        for status in ("pending", "failed"):
            counts.setdefault((destination.name, status), 0)
    return counts

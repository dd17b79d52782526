"""The running parts' state, read when /metrics is scraped: HL7v2 outcomes, the SQLite
writer's group commits, the audit trail's backlog."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import accumulate

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from server.runtime import Runtime
from server.storage.sqlite.store import SqliteStore
from server.storage.sqlite.threads import COMMIT_BUCKETS, CommitStats

Metric = CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily


class RuntimeCollector(Collector):
    """Reads the runtime the app runs on (None before start-up and after shutdown)."""

    def __init__(self, runtime: Callable[[], Runtime | None]) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        runtime = self.runtime()
        if runtime is None:
            return
        yield _hl7v2_messages(runtime)
        yield GaugeMetricFamily(
            "fhirport_audit_backlog",
            "Access records queued for the audit trail's next group commit.",
            value=runtime.audit.backlog,
        )
        if isinstance(runtime.store, SqliteStore) and runtime.store.commit_stats is not None:
            yield from _commits(runtime.store.commit_stats)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # collected at scrape time only: what exists depends on the store


def _hl7v2_messages(runtime: Runtime) -> CounterMetricFamily:
    family = CounterMetricFamily(
        "fhirport_hl7v2_messages",
        "HL7v2 messages handled by this process, by message type and outcome.",
        labels=("type", "outcome"),
    )
    for (message_type, outcome), count in sorted(runtime.ingestor.tally.counts.items()):
        family.add_metric((message_type, outcome), count)
    return family


def _commits(stats: CommitStats) -> Iterator[Metric]:
    cumulative = list(accumulate(stats.counts))
    buckets = [
        (f"{bound:g}", count) for bound, count in zip(COMMIT_BUCKETS, cumulative[:-1], strict=True)
    ]
    buckets.append(("+Inf", cumulative[-1]))
    yield HistogramMetricFamily(
        "fhirport_store_commit_seconds",
        "SQLite group commits: time from BEGIN to a durable COMMIT.",
        buckets=buckets,
        sum_value=stats.seconds,
    )
    sizes = HistogramMetricFamily(
        "fhirport_store_commit_group_size",
        "SQLite group commits: write jobs committed together (count and sum only).",
        buckets=[("+Inf", stats.commits)],
        sum_value=stats.jobs,
    )
    yield sizes

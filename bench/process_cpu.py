"""CPU time of a process's descendants, read from /proc while they run (Linux only).

The import's workers come from a forkserver: they are not this process's children, and
they end before the forkserver is reaped, so ``RUSAGE_CHILDREN`` never counts them.
A sampler thread reads every descendant's /proc/PID/stat instead and keeps the last
figure of each; what a worker spends after the last sample (under one period) is lost.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of a process so far, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS


def descendants(root: int) -> list[int]:
    """Every live descendant of ``root``, children before grandchildren.

    Walks /proc/PID/task/TID/children from ``root`` down (Linux 3.5 and later): about
    a tenth of the cost of reading every process's stat to find the tree.
    """
    found: list[int] = []
    parents = [root]
    while parents:
        parents = [child for parent in parents for child in _children(parent)]
        found += parents
    return found


def descendants_cpu(root: int) -> dict[int, float]:
    """CPU seconds so far of every live descendant of ``root``, by pid."""
    return {pid: cpu for pid in descendants(root) if (cpu := _cpu_seconds(pid)) is not None}


def _children(pid: int) -> list[int]:
    pids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(child) for child in task.read_text().split()]
        except OSError:
            continue  # the thread or process ended meanwhile
    return pids


class DescendantsCpu:
    """Samples the CPU time of this process's descendants for the length of a block."""

    def __init__(self, period: float = 0.2) -> None:
        self.period = period
        self.seen: dict[int, float] = {}
        self.before: dict[int, float] = {}  # of descendants already running at the start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def __enter__(self) -> DescendantsCpu:
        self.before = descendants_cpu(os.getpid())
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(cpu - self.before.get(pid, 0.0) for pid, cpu in self.seen.items())

    def _run(self) -> None:
        root = os.getpid()
        while True:
            self.seen.update(descendants_cpu(root))
            if self._stop.wait(self.period):
                return

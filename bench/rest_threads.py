"""Where an audited read's CPU goes: each server thread's CPU time per read under wrk.

    .venv/bin/python bench/rest_threads.py [--auth smart|none] [--audit all|off]
        [--seconds 8] [--tree PATH]

Runs against the store ``bench/rest.py`` made (``bench/results/rest-20000.sqlite3``,
run that first). Starts `fhirport serve` pinned to core 0 as ``bench/rest.py`` does
(``--tree``: the source tree to run, for comparing two commits in turns), drives reads
with wrk pinned to core 1 (32 connections, 3 s warm-up), and reads every thread's user
and system time from ``/proc/PID/task/*/stat`` before and after: microseconds per read,
the event loop apart (the main thread), the others largest first (the SQLite writer,
then the readers). Linux only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rest import (
    RESULTS,
    access_token,
    lua_reads,
    register_client,
    sample_ids,
    start,
    stop,
    wait_ready,
)
from bench.wrk_run import run_wrk
from tests.e2e.server_process import free_port

_TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of each live thread of ``pid``."""
    found: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        found[int(task.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--auth", choices=("smart", "none"), default="smart")
    parser.add_argument("--audit", choices=("all", "off"), default="all")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    db = RESULTS / "rest-20000.sqlite3"
    if not db.exists():
        raise SystemExit(f"{db} is missing: run bench/rest.py --patients 20000 first")
    store = f"sqlite:///{db}"
    python = sys.executable
    client = register_client(str(Path(python).parent / "fhirport"), store)
    port = free_port()
    server = start(
        [python, "-P", "-c", "from server.cli import main; main()", "serve", "--port", str(port),
         "--store", store, "--log-level", "warning", "--auth", args.auth, "--audit", args.audit],
        env={"PYTHONPATH": str(args.tree.resolve())},
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/fhir/metadata")
        token = access_token(base, client) if args.auth == "smart" else None
        reads = lua_reads(sample_ids(db, 2000), Path(tempfile.mkdtemp()), token)
        run_wrk(base, script=reads, seconds=3, connections=32)
        before = thread_cpu(server.pid)
        result = run_wrk(base, script=reads, seconds=args.seconds, connections=32)
        time.sleep(1.0)  # the audit trail's last flush
        after = thread_cpu(server.pid)
    finally:
        stop(server)
    per_read = {
        tid: (cpu - before.get(tid, 0.0)) / result.requests * 1e6 for tid, cpu in after.items()
    }
    loop = per_read.pop(server.pid)
    others = sorted((us for us in per_read.values() if us >= 0.5), reverse=True)
    print(
        f"{result.requests_per_second:.0f} reads/s, non-2xx {result.non_2xx}; CPU a read "
        f"{loop + sum(others):.0f} us: event loop {loop:.0f}, other threads "
        + " ".join(f"{us:.0f}" for us in others)
        + f"; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

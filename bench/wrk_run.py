"""Run wrk against a URL (pinned to one core) and read its figures."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int


def _ms(text: str) -> float:
    value = float(re.sub(r"[a-z]+", "", text))
    if text.endswith("us"):
        return value / 1000
    if text.endswith("ms"):
        return value
    return value * 1000  # seconds


def run_wrk(url: str, *, script: Path, seconds: int, connections: int, core: int = 1) -> WrkResult:
    """Run wrk with a Lua script; fail loudly if wrk is missing."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    command = [
        "taskset",
        "-c",
        str(core),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    non_2xx_match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return WrkResult(rps, p50, p99, int(non_2xx_match.group(1)) if non_2xx_match else 0, total)

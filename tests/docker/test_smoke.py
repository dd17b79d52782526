"""The image built and run for real (docker/smoke.sh), where a Docker daemon answers.

Without one (CI has none) this skips at once: the daemon-less tests beside it check the
compose file, the entrypoint and the HEALTHCHECK without Docker."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SMOKE = Path(__file__).parents[2] / "docker" / "smoke.sh"


def docker_unavailable() -> str | None:
    """Why the image cannot be built and run here, or None when a daemon answers."""
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    try:
        info = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=15,
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 15 s"
    if info.returncode != 0:
        return f"no Docker daemon answers `docker info`: {info.stderr.strip()[:200]}"
    return None


def test_the_image_builds_runs_healthy_as_non_root_and_the_admin_signs_in() -> None:
    reason = docker_unavailable()
    if reason is not None:
        pytest.skip(reason)

    done = subprocess.run(["bash", str(SMOKE)], capture_output=True, text=True, timeout=1500)

    assert done.returncode == 0, done.stdout + done.stderr
    for check in ("healthy", "uid 10001", "CapabilityStatement", "signs in", "no compiler"):
        assert check in done.stdout, done.stdout

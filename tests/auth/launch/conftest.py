"""The served app every launch test drives (tests.auth.launch.flow), once per store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.auth.launch.flow import LaunchApp, launch_app


@pytest.fixture
async def served(store_url: str, tmp_path: Path) -> AsyncIterator[LaunchApp]:
    async with launch_app(store_url, tmp_path) as served:
        yield served

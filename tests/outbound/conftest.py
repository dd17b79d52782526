"""Fixtures of the outbound feed's tests: a running sink, and the app sending to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.settings import Settings
from tests.outbound.sink import Sink, outbound_file


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    running = Sink()
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def settings(settings: Settings, sink: Sink, tmp_path: Path) -> Settings:
    """The shared settings, with the feed sending to the sink."""
    feed = outbound_file(tmp_path / "outbound.yaml", sink.port)
    return settings.model_copy(update={"hl7_outbound": feed})

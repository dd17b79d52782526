"""What the server says of the sandbox seed: loaded into an empty store, and why not
into one that holds resources (a Docker entrypoint seeds before the server starts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.app import create_app
from server.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _start(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass


async def test_the_second_start_says_why_the_sandbox_was_not_loaded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path / 'store.sqlite3'}", seed=True, auth="none")

    with caplog.at_level("INFO", logger="fhirport"):
        await _start(settings)
        await _start(settings)

    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Sandbox seed")]
    assert len(said) == 2
    assert said[0].endswith("resources loaded")
    assert said[1] == "Sandbox seed: not loaded, the store holds resources already"

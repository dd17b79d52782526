"""A test-only server: fhirport's app plus one route that raises, run the way ``serve`` runs it.

Started as ``python -m tests.e2e.raising_app PORT STORE`` by the end-to-end tests.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from server.app import create_app
from server.serving import run
from server.settings import Settings
from tests.e2e.server_process import free_port, running_command

RAISING_PATH = "/test-only/raise"


async def _raise() -> None:
    raise RuntimeError("a bug the error handler must turn into a 500")


def main(port: int, store: str) -> None:
    settings = Settings(store=store, port=port)
    app = create_app(settings)
    app.add_api_route(RAISING_PATH, _raise)
    run(app, settings)


@contextmanager
def running_raising_app(store: str) -> Iterator[str]:
    """Run this module's server; yield its FHIR base URL."""
    port = free_port()
    command = [sys.executable, "-m", "tests.e2e.raising_app", str(port), store]
    with running_command(command, port) as base:
        yield base


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])

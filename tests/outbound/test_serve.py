"""``fhirport serve --hl7-outbound FILE``, a real server process, feeding a local sink."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_patient
from tests.e2e.server_process import running_server
from tests.outbound.sink import Sink, field, outbound_file

pytestmark = pytest.mark.anyio


async def test_the_server_feeds_the_destination(sink: Sink, tmp_path: Path) -> None:
    feed = outbound_file(tmp_path / "outbound.yaml", sink.port)
    store = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    with contextlib.ExitStack() as stack:
        server = running_server(store, "--auth", "none", "--hl7-outbound", str(feed))
        base = await asyncio.to_thread(stack.enter_context, server)
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{base}/Patient", json=make_patient())
            assert response.status_code == 201, response.text

            [message] = await sink.wait_for(1)

    assert (message.message_code, message.trigger_event) == ("ADT", "A04")
    assert field(message, "PID", 3) == "MRN-1"

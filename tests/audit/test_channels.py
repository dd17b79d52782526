"""The other ways in: HL7v2 messages over MLLP and the token endpoint are audited too."""

from __future__ import annotations

import asyncio
import base64

import pytest

from hl7.framing import frame
from server.settings import Settings
from tests.audit.conftest import client_agent, opened, patients
from tests.e2e.server_process import free_port
from tests.ingest.messages import adt, without_pid

pytestmark = pytest.mark.anyio


async def exchange(port: int, message: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(frame(message))
        await writer.drain()
        return await reader.readuntil(b"\x1c\r")
    finally:
        writer.close()
        await writer.wait_closed()


async def test_each_mllp_message_has_one_event(settings: Settings) -> None:
    port = free_port()
    async with opened(settings, mllp_port=port) as audited:
        applied = await exchange(port, adt("MLLP1", mrn="M-1"))
        refused = await exchange(port, without_pid("MLLP2"))

        events = await audited.events()

    assert b"MSA|AA|MLLP1" in applied
    assert b"MSA|AE|MLLP2" in refused or b"MSA|AR|MLLP2" in refused
    assert [(e["subtype"][0]["code"], e["outcome"]) for e in events] == [("A04", "0"), ("A04", "4")]
    first = events[0]
    assert first["type"]["code"] == "rest"
    assert first["action"] == "E"
    assert client_agent(first)["who"]["identifier"]["value"] == "LEGACY|NORTH"
    assert client_agent(first)["network"]["address"] == "127.0.0.1"
    assert len(patients(first)) == 1


async def test_a_token_request_is_audited_as_a_login(settings: Settings) -> None:
    async with opened(settings) as audited:
        secret = base64.b64encode(b"ghost:wrong").decode()
        response = await audited.http.post(
            "/auth/token",
            data={"grant_type": "client_credentials", "scope": "system/Patient.rs"},
            headers={"Authorization": f"Basic {secret}"},
        )

        events = await audited.events()

    assert response.status_code in (400, 401)
    assert len(events) == 1
    event = events[0]
    assert (event["type"]["code"], event["subtype"][0]["code"]) == ("110114", "110122")
    assert (event["action"], event["outcome"]) == ("E", "4")
    assert client_agent(event)["who"]["identifier"]["value"] == "ghost"

"""Appointment/$no-show-worklist: Appointments still booked an hour after their end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.fhir.clock import fhir_instant
from server.settings import Settings
from tests.scheduling.booking import make_appointment, put_participant
from tests.scheduling.slots import clocked_client

pytestmark = pytest.mark.anyio

DR = "Practitioner/dr-noshow"
NOW = 1_740_996_000_000_000  # 2025-03-03T10:00:00Z
MINUTE = 60_000_000


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with clocked_client(settings, NOW) as (client, _):
        await put_participant(client, DR)
        yield client


async def appointment(
    client: httpx.AsyncClient, name: str, start_minutes: int, end_minutes: int, status: str
) -> str:
    await put_participant(client, f"Patient/{name}")
    body = make_appointment(
        fhir_instant(NOW + start_minutes * MINUTE),
        fhir_instant(NOW + end_minutes * MINUTE),
        f"Patient/{name}",
        status=status,
    )
    response = await client.post("/fhir/Appointment", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def worklist(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/fhir/Appointment/$no-show-worklist", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_lists_bookings_still_booked_an_hour_after_their_end(http: httpx.AsyncClient) -> None:
    missed = await appointment(http, "missed", -180, -150, "booked")
    earlier = await appointment(http, "earlier", -300, -270, "booked")
    await appointment(http, "recent", -50, -40, "booked")
    await appointment(http, "long", -170, -30, "booked")
    await appointment(http, "seen", -240, -225, "fulfilled")
    await appointment(http, "gone", -120, -100, "noshow")

    found = await worklist(http)

    assert found["type"] == "searchset"
    assert [e["resource"]["id"] for e in found["entry"]] == [earlier, missed]
    assert found["entry"][0]["fullUrl"].endswith(f"/Appointment/{earlier}")


async def test_pages_with_count(http: httpx.AsyncClient) -> None:
    ids = [
        await appointment(http, f"p{n}", -300 + 20 * n, -290 + 20 * n, "booked") for n in range(5)
    ]

    page = await worklist(http, _count="2")
    after = [link["url"] for link in page["link"] if link["relation"] == "next"]
    rest = (await http.get(after[0])).json()
    last = [link["url"] for link in rest["link"] if link["relation"] == "next"]
    final = (await http.get(last[0])).json()

    seen = [e["resource"]["id"] for p in (page, rest, final) for e in p.get("entry", [])]
    assert seen == ids


async def test_a_bad_count_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.get("/fhir/Appointment/$no-show-worklist", params={"_count": "x"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_count"]

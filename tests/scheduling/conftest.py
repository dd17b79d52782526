"""Fixtures of the scheduling tests (on every store, through the shared ``client``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.scheduling.booked_slots import four_slots


@pytest.fixture
async def slots(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Four free 15-minute Slots of DR on Monday 2025-03-03 from 09:00."""
    return await four_slots(client)

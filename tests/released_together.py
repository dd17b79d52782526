"""Start concurrent calls first, then release them all at once (for race tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def released_together(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run every call in its own task, gated on one event set once all are waiting."""
    start = asyncio.Event()

    async def gated(call: Callable[[], Awaitable[T]]) -> T:
        await start.wait()
        return await call()

    tasks = [asyncio.ensure_future(gated(call)) for call in calls]
    await asyncio.sleep(0)  # each task runs up to the event
    start.set()
    return list(await asyncio.gather(*tasks))

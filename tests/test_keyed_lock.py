"""KeyedLock: writers to one key take turns; other keys are not held up; nothing leaks."""

from __future__ import annotations

import asyncio

import pytest

from server.keyed_lock import KeyedLock

pytestmark = pytest.mark.anyio


async def test_same_key_is_serialized_and_forgotten_afterwards() -> None:
    locks = KeyedLock()
    inside = 0
    most_inside = 0

    async def writer() -> None:
        nonlocal inside, most_inside
        async with locks.hold(("Patient", "1")):
            inside += 1
            most_inside = max(most_inside, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(writer() for _ in range(20)))

    assert most_inside == 1
    assert len(locks) == 0


async def test_other_keys_do_not_wait() -> None:
    locks = KeyedLock()
    async with locks.hold("a"):
        await asyncio.wait_for(_hold_briefly(locks, "b"), timeout=1)
        assert len(locks) == 1
    assert len(locks) == 0


async def test_a_failing_holder_releases_the_key() -> None:
    locks = KeyedLock()
    with pytest.raises(RuntimeError):
        async with locks.hold("a"):
            raise RuntimeError("boom")
    await asyncio.wait_for(_hold_briefly(locks, "a"), timeout=1)
    assert len(locks) == 0


async def _hold_briefly(locks: KeyedLock, key: str) -> None:
    async with locks.hold(key):
        await asyncio.sleep(0)

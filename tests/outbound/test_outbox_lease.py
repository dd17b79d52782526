"""The outbox's delivery lease on every store: one owner per destination at a time.

The lease is what keeps two server processes on one store from delivering one
destination's entries both (server.hl7v2.outbound.delivery): taken when free or expired,
renewed by its owner, refused to anyone else until it expires or is given back.
"""

from __future__ import annotations

import pytest

from server.storage.port import Store

pytestmark = pytest.mark.anyio

NOW = 1_000_000_000
LEASE = 30_000_000


async def test_a_free_lease_is_taken_and_refused_to_another_owner(store: Store) -> None:
    assert await store.outbox_lease("adt", "one", NOW + LEASE, NOW)

    assert not await store.outbox_lease("adt", "two", NOW + 1 + LEASE, NOW + 1)
    assert await store.outbox_lease("lab", "two", NOW + LEASE, NOW)


async def test_the_owner_renews_its_lease(store: Store) -> None:
    assert await store.outbox_lease("adt", "one", NOW + LEASE, NOW)
    assert await store.outbox_lease("adt", "one", NOW + 2 * LEASE, NOW + LEASE - 1)

    assert not await store.outbox_lease("adt", "two", NOW + 3 * LEASE, NOW + LEASE + 1)


async def test_an_expired_lease_is_taken_over(store: Store) -> None:
    assert await store.outbox_lease("adt", "dead", NOW + LEASE, NOW)

    assert await store.outbox_lease("adt", "two", NOW + 2 * LEASE, NOW + LEASE)
    assert not await store.outbox_lease("adt", "dead", NOW + 2 * LEASE, NOW + LEASE + 1)


async def test_a_released_lease_is_free_at_once_and_only_its_owner_releases_it(
    store: Store,
) -> None:
    assert await store.outbox_lease("adt", "one", NOW + LEASE, NOW)
    await store.outbox_release("adt", "two")
    assert not await store.outbox_lease("adt", "two", NOW + 1 + LEASE, NOW + 1)

    await store.outbox_release("adt", "one")

    assert await store.outbox_lease("adt", "two", NOW + 2 + LEASE, NOW + 2)

"""A write may require a resource at a version (``Write.requires``), on every store.

A client write that followed a Patient's merges pins the version of each Patient it
ends up naming: a merge (or any change) of that Patient committed in between makes
the store refuse the write, so the writer looks again instead of storing a record
pointing at a retired Patient.
"""

from __future__ import annotations

import pytest

from server.storage.port import Method, ReferenceChanged, Store, StoredVersion, Write
from tests.storage.test_store_port import entries

pytestmark = pytest.mark.anyio


def _write(resource_type: str, resource_id: str, number: int, updated: int) -> Write:
    body = f'{{"resourceType":"{resource_type}","id":"{resource_id}"}}'.encode()
    stored = StoredVersion(resource_type, resource_id, number, updated, Method.PUT, body)
    return Write(stored, number - 1, entries())


async def test_a_write_pinning_a_changed_version_is_refused(store: Store) -> None:
    await store.write([_write("Patient", "p", 1, 100)])
    await store.write([_write("Patient", "p", 2, 200)])

    with pytest.raises(ReferenceChanged):
        await store.write([_write_requiring("Patient", "p", 1)])

    assert await store.read("Observation", "o") is None


async def test_a_write_pinning_the_current_version_is_stored(store: Store) -> None:
    await store.write([_write("Patient", "p", 1, 100)])
    await store.write([_write("Patient", "p", 2, 200)])

    await store.write([_write_requiring("Patient", "p", 2)])

    stored = await store.read("Observation", "o")
    assert stored is not None
    assert stored.version == 1


async def test_a_pin_on_a_resource_written_in_the_same_batch_is_its_own_check(
    store: Store,
) -> None:
    await store.write([_write("Patient", "p", 1, 100)])

    await store.write([_write("Patient", "p", 2, 200), _write_requiring("Patient", "p", 1)])

    assert (await store.read("Observation", "o")) is not None


def _write_requiring(resource_type: str, resource_id: str, version: int) -> Write:
    write = _write("Observation", "o", 1, 300)
    return Write(write.version, 0, write.index, requires=((resource_type, resource_id, version),))

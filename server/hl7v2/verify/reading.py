"""Read an archive as the import does, and what each message says the store holds.

The files, folders, globs, MLLP frames and FHS/BHS batches ``fhirport hl7 import``
accepts are read by its own code (``server.hl7v2.ingest.importer``); each message is
parsed and mapped with the import's own ``prepare`` step, in worker processes when
there are several, and comes back as its ``Expectations``, in archive order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from functools import partial
from pathlib import Path

from mappers.config import MappingConfig
from server.hl7v2.ingest.importer import Located, in_workers, read_all, worker_pool
from server.hl7v2.verify.expectations import Expectations, expect_chunk, expectations_of

_YIELD_EVERY = 256  # messages mapped in this process between turns of the event loop


async def read_expectations(
    files: Sequence[Path], config: MappingConfig, workers: int = 1
) -> AsyncIterator[tuple[Located, Expectations]]:
    """Yield every message of ``files`` with its expectations, in archive order."""
    messages = read_all(files)
    executor = worker_pool(workers, bulk_import=False)
    if executor is None:
        for count, located in enumerate(messages, 1):
            yield located, expectations_of(located.raw.data, config)
            if count % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        return
    try:
        work = partial(expect_chunk, config=config)
        async for located, encoded in in_workers(messages, work, executor, 2 * workers):
            yield located, Expectations.decode(encoded)
    finally:
        executor.shutdown(cancel_futures=True)

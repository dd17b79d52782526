"""Driver failures as the port's StoreUnavailable: the server is down, failing over or slow.

Errors the adapter expects and handles itself (a duplicate key is a version
conflict, a guard's claim or a ledger entry taken) are caught before they get here;
every other driver error means the store cannot serve now, which the API answers
503 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo.errors import PyMongoError

from server.storage.port import StoreUnavailable


@asynccontextmanager
async def driver_errors(doing: str) -> AsyncIterator[None]:
    """Raise StoreUnavailable, naming what failed, for any driver error in the block."""
    try:
        yield
    except PyMongoError as exc:
        raise StoreUnavailable(f"MongoDB could not {doing}: {type(exc).__name__}") from exc

"""Open a MongoDB client: PyMongo's async driver, or mongomock-motor for ``memory://``.

mongomock-motor imitates Motor rather than ``AsyncMongoClient``: ``close`` is not
awaitable and sessions raise NotImplementedError. This module is the only place
that knows; the store sees one ``MongoConnection`` either way.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from server.storage.port import StoreUnavailable

DEFAULT_DATABASE = "fhirport"


@dataclass(slots=True)
class MongoConnection:
    """A client, its database, and whether multi-document transactions are available."""

    client: Any
    database: Any
    transactions: bool

    async def close(self) -> None:
        result = self.client.close()
        if inspect.isawaitable(result):
            await result


async def connect(url: str) -> MongoConnection:
    """Connect to ``mongodb://``, ``mongodb+srv://`` or the in-process ``memory://``."""
    if url.startswith("memory://"):
        from mongomock_motor import AsyncMongoMockClient  # test-only seam

        mock: Any = AsyncMongoMockClient()
        return MongoConnection(mock, mock[DEFAULT_DATABASE], transactions=False)
    try:
        client: AsyncMongoClient[Any] = AsyncMongoClient(
            url, w="majority", serverSelectionTimeoutMS=10_000, appname="fhirport"
        )
        hello = await client.admin.command("hello")
    except (PyMongoError, ValueError) as exc:
        raise StoreUnavailable(f"Cannot reach MongoDB: {type(exc).__name__}") from None
    database = client.get_default_database(default=DEFAULT_DATABASE)
    # Transactions need a replica set member or a mongos router.
    transactions = "setName" in hello or hello.get("msg") == "isdbgrid"
    return MongoConnection(client, database, transactions)

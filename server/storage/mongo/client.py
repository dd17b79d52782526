"""Open a MongoDB client: PyMongo's async driver, or mongomock-motor for ``memory://``.

A ``mongodb://`` server must run transactions (a replica set member or a ``mongos``
router): the port's writes are all-or-nothing, and only ``memory://`` is allowed to
be otherwise (see server.storage.port). Every read and write goes to the primary,
whatever ``readPreference`` the URL names: compare-and-swap must read the current
version, not a secondary's older one.

mongomock-motor imitates Motor rather than ``AsyncMongoClient``: ``close`` is not
awaitable and sessions raise NotImplementedError. This module is the only place
that knows; the store sees one ``MongoConnection`` either way.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, ReadPreference
from pymongo.errors import PyMongoError

from server.storage.mongo.uri import DEFAULT_DATABASE, client_options, database_name, hosts_of
from server.storage.port import StoreUnavailable


@dataclass(slots=True)
class MongoConnection:
    """A client, its database, and whether multi-document transactions are available."""

    client: Any
    database: Any
    transactions: bool

    async def close(self) -> None:
        await _close(self.client)


async def _close(client: Any) -> None:
    result = client.close()
    if inspect.isawaitable(result):
        await result


async def aggregate(
    collection: Any, pipeline: list[dict[str, Any]], session: Any = None
) -> list[dict[str, Any]]:
    """The documents an aggregation pipeline gives (PyMongo awaits the cursor; the mock not)."""
    cursor = collection.aggregate(pipeline, session=session)
    if inspect.isawaitable(cursor):
        cursor = await cursor
    return [doc async for doc in cursor]


def require_transactions(hello: Mapping[str, Any], where: str) -> None:
    """Refuse a server whose ``hello`` answer shows it cannot run transactions."""
    if "setName" in hello or hello.get("msg") == "isdbgrid":
        return
    if hello.get("isreplicaset"):
        raise StoreUnavailable(
            f"MongoDB at {where} was started with --replSet but its replica set has not "
            "been initiated: run rs.initiate() once in mongosh, then start fhirport again"
        )
    raise StoreUnavailable(
        f"MongoDB at {where} is a standalone server, which has no transactions; fhirport "
        "writes a resource, its history and its ledger entry all-or-nothing. Run it as a "
        "one-member replica set: start mongod with --replSet rs0, run "
        "rs.initiate() once, and add ?replicaSet=rs0 to the store URL"
    )


async def connect(url: str) -> MongoConnection:
    """Connect to ``mongodb://``, ``mongodb+srv://`` or the in-process ``memory://``."""
    if url.startswith("memory://"):
        from mongomock_motor import AsyncMongoMockClient  # test-only seam

        mock: Any = AsyncMongoMockClient()
        return MongoConnection(mock, mock[DEFAULT_DATABASE], transactions=False)
    where = hosts_of(url)
    try:
        client: AsyncMongoClient[Any] = AsyncMongoClient(url, **client_options(url))
    except (PyMongoError, ValueError) as exc:
        raise StoreUnavailable(f"Invalid MongoDB URL: {exc}") from None
    try:
        hello = await client.admin.command("hello")
        require_transactions(hello, where)
    except BaseException as exc:
        await _close(client)
        if isinstance(exc, PyMongoError):
            raise StoreUnavailable(
                f"Cannot reach MongoDB at {where} ({type(exc).__name__}); check that the "
                "server is running, the URL's hosts resolve from here, and its replicaSet name"
            ) from None
        raise
    return MongoConnection(client, primary_database(client, url), transactions=True)


def primary_database(client: Any, url: str) -> Any:
    """The URL's database on ``client``, read from the primary whatever the URL says."""
    return client.get_database(database_name(url), read_preference=ReadPreference.PRIMARY)

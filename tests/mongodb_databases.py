"""The real MongoDB server's test databases: one per test, named in the URL, dropped after."""

from __future__ import annotations

import os
import uuid

from pymongo import MongoClient

from server.storage.mongo.uri import with_database

URI_VARIABLE = "FHIRPORT_TEST_MONGODB_URI"

_created: list[str] = []


def fresh_database_url() -> str:
    """A URL naming a fresh database on the server ``FHIRPORT_TEST_MONGODB_URI`` names."""
    name = f"fhirport_test_{uuid.uuid4().hex[:12]}"
    _created.append(name)
    return with_database(os.environ[URI_VARIABLE], name)


def drop_test_databases() -> None:
    """Drop the databases made since the last call (none made: nothing to connect to)."""
    if not _created:
        return
    client: MongoClient[dict[str, object]] = MongoClient(os.environ[URI_VARIABLE])
    try:
        while _created:
            client.drop_database(_created.pop())
    finally:
        client.close()

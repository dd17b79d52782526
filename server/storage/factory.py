"""Open the store a URL names; the only place that picks an adapter."""

from __future__ import annotations

from server.storage.auth_port import AuthRecords
from server.storage.bulk_port import BulkRecords
from server.storage.mongo.auth import MongoAuthRecords
from server.storage.mongo.bulk import MongoBulkRecords
from server.storage.mongo.store import MongoStore
from server.storage.port import Store, StoreUnavailable
from server.storage.sqlite.auth import SqliteAuthRecords
from server.storage.sqlite.bulk import SqliteBulkRecords
from server.storage.sqlite.store import SqliteStore, sqlite_path_from_url


def store_from_url(url: str) -> Store:
    """Return an unopened store for ``sqlite:///PATH``, ``mongodb://...`` or ``memory://``."""
    if url.startswith("sqlite:///"):
        return SqliteStore(sqlite_path_from_url(url))
    if url.startswith(("mongodb://", "mongodb+srv://", "memory://")):
        return MongoStore(url)
    raise StoreUnavailable(
        f"Unsupported store URL scheme in {url.split(':', 1)[0]!r}; "
        "use sqlite:///PATH, mongodb://HOST/DB or memory://"
    )


async def check_store(url: str) -> None:
    """Open and close the store ``url`` names; StoreUnavailable, in one sentence, if it cannot."""
    store = store_from_url(url)
    await store.open()
    await store.close()


async def open_auth_records(store: Store) -> AuthRecords:
    """The authorization server's records in an open ``store``, their tables made."""
    records: AuthRecords
    if isinstance(store, SqliteStore):
        records = SqliteAuthRecords(store)
    elif isinstance(store, MongoStore):
        records = MongoAuthRecords(store.conn.database)
    else:
        raise StoreUnavailable(f"{type(store).__name__} keeps no authorization records")
    await records.prepare()
    return records


async def open_bulk_records(store: Store) -> BulkRecords:
    """Bulk Data export's snapshot reader and job records on an open ``store``, prepared."""
    records: BulkRecords
    if isinstance(store, SqliteStore):
        records = SqliteBulkRecords(store)
    elif isinstance(store, MongoStore):
        records = MongoBulkRecords(store.conn.database)
    else:
        raise StoreUnavailable(f"{type(store).__name__} keeps no export jobs")
    await records.prepare()
    return records

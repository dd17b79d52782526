"""Open the store a URL names; the only place that picks an adapter."""

from __future__ import annotations

from server.storage.mongo.store import MongoStore
from server.storage.port import Store, StoreUnavailable
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

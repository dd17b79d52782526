"""MongoDB connection strings: the database in the path, the client's default options.

A connection string is ``scheme://hosts/database?options``; the database goes
between the hosts and the query string, never after the query.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

DEFAULT_DATABASE = "fhirport"

# Every operation, a transaction's whole retry loop included, gives up after
# ``timeoutMS`` (a majority that cannot be reached would otherwise hold a request
# for ever); finding a server gives up sooner. A URL option of the same name wins.
DEFAULT_TIMEOUTS: dict[str, int] = {"timeoutMS": 10_000, "serverSelectionTimeoutMS": 5_000}


def _split(uri: str) -> tuple[str, str, str, str]:
    """(scheme://, hosts, path without its slash, query without its question mark)."""
    scheme, _, rest = uri.partition("://")
    rest, _, query = rest.partition("?")
    hosts, _, path = rest.partition("/")
    return f"{scheme}://", hosts, path, query


def with_database(uri: str, database: str) -> str:
    """The same connection string naming ``database`` (replacing any it named)."""
    scheme, hosts, _, query = _split(uri)
    return f"{scheme}{hosts}/{database}" + (f"?{query}" if query else "")


def database_name(uri: str) -> str:
    """The database a connection string names, or ``fhirport``."""
    return _split(uri)[2] or DEFAULT_DATABASE


def hosts_of(uri: str) -> str:
    """The host list of a connection string, without credentials (for messages)."""
    return _split(uri)[1].rpartition("@")[2]


def client_options(uri: str) -> dict[str, Any]:
    """Keyword options for the client: majority writes, and the timeouts the URL leaves out."""
    given = {name.lower() for name, _ in parse_qsl(_split(uri)[3])}
    options: dict[str, Any] = {"w": "majority", "appname": "fhirport"}
    options.update({k: v for k, v in DEFAULT_TIMEOUTS.items() if k.lower() not in given})
    return options

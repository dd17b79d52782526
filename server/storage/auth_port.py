"""What the authorization server keeps in the store: its signing keys, its clients, and
the client assertions (``jti``) it has seen.

A port of its own beside the resource port (server.storage.port): the records are not
FHIR resources, never searchable, and both adapters keep them in tables or collections
of their own (SQLite ``auth_signing_key``, ``auth_client``, ``auth_jti``; MongoDB
``auth_signing_keys``, ``auth_clients``, ``auth_jti``), created by ``prepare`` when the
store opens (server.storage.factory.open_auth_records). ``claim_jti`` is decided by a
unique key in the store, so a client assertion replayed to two server processes on one
store is accepted by at most one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SigningKeyRecord:
    """One of the server's token signing keys: its private JWK (JSON) and creation time."""

    kid: str
    private_jwk: str
    created: int  # nanoseconds since the epoch: keys made in one second still sort


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A registered Backend Services client and how it authenticates.

    Exactly one of ``jwks`` (a JWKS document, JSON), ``jwks_url`` or ``secret_hash``
    (server.auth.secrets) is set.
    """

    client_id: str
    name: str
    scope: str
    created: int
    jwks: str | None = None
    jwks_url: str | None = None
    secret_hash: str | None = None


class DuplicateClient(Exception):
    """A client with that id is registered already."""


class AuthRecords(Protocol):
    """The authorization server's records in one store."""

    async def prepare(self) -> None:
        """Create the tables or collections and their indexes, if missing."""
        ...

    async def signing_keys(self) -> list[SigningKeyRecord]:
        """Every signing key, oldest first."""
        ...

    async def add_signing_key(self, key: SigningKeyRecord) -> None:
        """Keep a new signing key."""
        ...

    async def add_client(self, client: ClientRecord) -> None:
        """Register a client; DuplicateClient when its id is taken."""
        ...

    async def client(self, client_id: str) -> ClientRecord | None:
        """The client with that id, or None."""
        ...

    async def clients(self) -> list[ClientRecord]:
        """Every registered client, oldest first."""
        ...

    async def remove_client(self, client_id: str) -> bool:
        """Forget a client; False when there was none with that id."""
        ...

    async def claim_jti(self, client_id: str, jti: str, expires: int, now: int) -> bool:
        """Record an assertion id until ``expires``; False when it is recorded and unexpired."""
        ...

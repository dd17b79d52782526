"""What the authorization server keeps in the store: its signing keys, its clients, and
the client assertions (``jti``) it has seen, and the ids of the access tokens it revoked.

A port of its own beside the resource port (server.storage.port): the records are not
FHIR resources, never searchable, and both adapters keep them in tables or collections
of their own (SQLite ``auth_signing_key``, ``auth_client``, ``auth_jti``,
``auth_revoked_token``; MongoDB ``auth_signing_keys``, ``auth_clients``, ``auth_jti``,
``auth_revoked_tokens``), created by ``prepare`` when the
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
    # SMART App Launch (authorization code): where codes may be sent (space-separated,
    # each matched exactly), whether it has no credentials at all, and where the EHR
    # launches it.
    redirect_uris: str | None = None
    public: bool = False
    launch_url: str | None = None
    # How its ID tokens are signed (OpenID Connect's id_token_signed_response_alg):
    # RS256 when None, OpenID Connect's default.
    id_token_alg: str | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A person who signs in to the authorization server, and the FHIR resource they are.

    ``fhir_user`` is ``Practitioner/ID`` or ``Patient/ID``; ``password_hash`` a scrypt
    hash (server.auth.secrets).
    """

    username: str
    fhir_user: str
    password_hash: str
    created: int


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """Something the server handed out and honours for a while, by the hash of its value.

    ``kind`` says what: an authorization code, a refresh token, a launch context, an
    authorization request in progress. ``family`` ties together what one authorization
    gave (a code and the refresh tokens rotated from it), so they are revoked together;
    ``payload`` is JSON; ``used`` says it was claimed once (codes and refresh tokens are
    single-use); ``revoked`` that its family was revoked.
    """

    kind: str
    key: str
    family: str
    payload: str
    expires: int
    used: bool = False
    revoked: bool = False


class DuplicateUser(Exception):
    """A user with that name exists already."""


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

    async def add_user(self, user: UserRecord) -> None:
        """Add a user; DuplicateUser when the name is taken."""
        ...

    async def user(self, username: str) -> UserRecord | None:
        """The user with that name, or None."""
        ...

    async def users(self) -> list[UserRecord]:
        """Every user, oldest first."""
        ...

    async def remove_user(self, username: str) -> bool:
        """Forget a user and their failed sign-ins; False when there was none."""
        ...

    async def record_failure(self, username: str, at: int, forget_before: int) -> None:
        """Remember a failed sign-in as ``username`` at ``at`` (seconds), forgetting that
        user's failures before ``forget_before`` (past the lockout window) on the way."""
        ...

    async def failures_since(self, username: str, since: int) -> int:
        """How many failed sign-ins as ``username`` were remembered at or after ``since``."""
        ...

    async def clear_failures(self, username: str) -> None:
        """Forget the failed sign-ins of ``username`` (after a successful one)."""
        ...

    async def put_grant(self, grant: GrantRecord, now: int) -> None:
        """Keep (or replace) a grant; grants expired at ``now`` are dropped on the way."""
        ...

    async def grant(self, kind: str, key: str, now: int) -> GrantRecord | None:
        """The unexpired grant of that kind and key, used or not, or None."""
        ...

    async def use_grant(self, kind: str, key: str, now: int) -> GrantRecord | None:
        """Claim a grant once: the grant if it was unused, unrevoked and unexpired, else None.

        Decided by one conditional update in the store, so of two processes claiming the
        same grant at once at most one gets it.
        """
        ...

    async def revoke_family(self, family: str) -> int:
        """Revoke every grant of ``family``; how many there were."""
        ...

    async def record_address_failure(self, address: str, at: int, expires: int) -> None:
        """Remember a failed sign-in from ``address`` at ``at`` until ``expires`` (seconds)."""
        ...

    async def address_failures(self, address: str, since: int, limit: int) -> list[int]:
        """When the latest ``limit`` failed sign-ins from ``address`` at or after ``since``
        were, newest first."""
        ...

    async def revoke_token(self, key: str, expires: int, now: int) -> None:
        """Keep a revoked access token's key (server.auth.revocations: its issuer and its
        ``jti``) until ``expires``; keys expired at ``now`` go."""
        ...

    async def revoked_tokens(self, now: int) -> list[str]:
        """The keys of the revoked access tokens that have not expired at ``now``."""
        ...

"""The authorization server's records in SQLite (server.storage.auth_port)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from server.storage.auth_port import ClientRecord, DuplicateClient, SigningKeyRecord

if TYPE_CHECKING:
    from server.storage.sqlite.store import SqliteStore

AUTH_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS auth_signing_key (
        kid TEXT PRIMARY KEY,
        private_jwk TEXT NOT NULL,
        created INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS auth_client (
        client_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        created INTEGER NOT NULL,
        jwks TEXT,
        jwks_url TEXT,
        secret_hash TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS auth_jti (
        client_id TEXT NOT NULL,
        jti TEXT NOT NULL,
        expires INTEGER NOT NULL,
        PRIMARY KEY (client_id, jti)
    )""",
    "CREATE INDEX IF NOT EXISTS auth_jti_expires ON auth_jti (expires)",
)

_CLIENT_COLUMNS = "client_id, name, scope, created, jwks, jwks_url, secret_hash"


def _client(row: tuple[Any, ...]) -> ClientRecord:
    return ClientRecord(*row)


class SqliteAuthRecords:
    """AuthRecords on an open SqliteStore: writes through its writer, reads on its readers."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def prepare(self) -> None:
        """Create the auth tables and index when they do not exist yet."""

        def create(conn: sqlite3.Connection) -> None:
            for statement in AUTH_DDL:
                conn.execute(statement)

        await self.store.writer.submit(create)

    async def signing_keys(self) -> list[SigningKeyRecord]:
        rows = await self.store.readers.run(
            lambda conn: conn.execute(
                "SELECT kid, private_jwk, created FROM auth_signing_key ORDER BY created, kid"
            ).fetchall()
        )
        return [SigningKeyRecord(*row) for row in rows]

    async def add_signing_key(self, key: SigningKeyRecord) -> None:
        await self.store.writer.submit(
            lambda conn: conn.execute(
                "INSERT INTO auth_signing_key (kid, private_jwk, created) VALUES (?, ?, ?)",
                (key.kid, key.private_jwk, key.created),
            )
        )

    async def add_client(self, client: ClientRecord) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO auth_client ({_CLIENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (
                    client.client_id,
                    client.name,
                    client.scope,
                    client.created,
                    client.jwks,
                    client.jwks_url,
                    client.secret_hash,
                ),
            )

        try:
            await self.store.writer.submit(insert)
        except sqlite3.IntegrityError:
            raise DuplicateClient(client.client_id) from None

    async def client(self, client_id: str) -> ClientRecord | None:
        row = await self.store.readers.run(
            lambda conn: conn.execute(
                f"SELECT {_CLIENT_COLUMNS} FROM auth_client WHERE client_id = ?",  # noqa: S608
                (client_id,),
            ).fetchone()
        )
        return _client(row) if row else None

    async def clients(self) -> list[ClientRecord]:
        rows = await self.store.readers.run(
            lambda conn: conn.execute(
                f"SELECT {_CLIENT_COLUMNS} FROM auth_client ORDER BY created, client_id"  # noqa: S608
            ).fetchall()
        )
        return [_client(row) for row in rows]

    async def remove_client(self, client_id: str) -> bool:
        removed = await self.store.writer.submit(
            lambda conn: (
                conn.execute("DELETE FROM auth_client WHERE client_id = ?", (client_id,)).rowcount
            )
        )
        return bool(removed)

    async def claim_jti(self, client_id: str, jti: str, expires: int, now: int) -> bool:
        def claim(conn: sqlite3.Connection) -> bool:
            # Expired ids are forgotten first, so an id may come back after its lifetime.
            conn.execute("DELETE FROM auth_jti WHERE expires <= ?", (now,))
            inserted = conn.execute(
                "INSERT OR IGNORE INTO auth_jti (client_id, jti, expires) VALUES (?, ?, ?)",
                (client_id, jti, expires),
            ).rowcount
            return bool(inserted)

        return await self.store.writer.submit(claim)

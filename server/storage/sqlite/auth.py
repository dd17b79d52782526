"""The authorization server's records in SQLite (server.storage.auth_port)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from server.storage.auth_port import (
    ClientRecord,
    DuplicateClient,
    DuplicateUser,
    GrantRecord,
    SigningKeyRecord,
    UserRecord,
)

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
    """CREATE TABLE IF NOT EXISTS auth_user (
        username TEXT PRIMARY KEY,
        fhir_user TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS auth_user_failure (
        username TEXT NOT NULL,
        at INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS auth_user_failure_name ON auth_user_failure (username, at)",
    """CREATE TABLE IF NOT EXISTS auth_grant (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        family TEXT NOT NULL,
        payload TEXT NOT NULL,
        expires INTEGER NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        revoked INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, key)
    )""",
    "CREATE INDEX IF NOT EXISTS auth_grant_family ON auth_grant (family)",
    "CREATE INDEX IF NOT EXISTS auth_grant_expires ON auth_grant (expires)",
    """CREATE TABLE IF NOT EXISTS auth_revoked_token (
        jti TEXT PRIMARY KEY,
        expires INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS auth_revoked_token_expires ON auth_revoked_token (expires)",
    """CREATE TABLE IF NOT EXISTS auth_address_failure (
        address TEXT NOT NULL,
        at INTEGER NOT NULL,
        expires INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS auth_address_failure_at ON auth_address_failure (address, at)",
    "CREATE INDEX IF NOT EXISTS auth_address_failure_expires ON auth_address_failure (expires)",
)

# Columns added to auth_client after stores were made with it: added where missing.
_LATER_CLIENT_COLUMNS = (
    ("redirect_uris", "TEXT"),
    ("public", "INTEGER NOT NULL DEFAULT 0"),
    ("launch_url", "TEXT"),
    ("id_token_alg", "TEXT"),
)

_CLIENT_COLUMNS = (
    "client_id, name, scope, created, jwks, jwks_url, secret_hash,"
    " redirect_uris, public, launch_url, id_token_alg"
)
_GRANT_COLUMNS = "kind, key, family, payload, expires, used, revoked"


def _client(row: tuple[Any, ...]) -> ClientRecord:
    client_id, name, scope, created, jwks, jwks_url, secret_hash, uris, public, launch, alg = row
    return ClientRecord(
        client_id,
        name,
        scope,
        created,
        jwks,
        jwks_url,
        secret_hash,
        uris,
        bool(public),
        launch,
        alg,
    )


def _grant(row: tuple[Any, ...]) -> GrantRecord:
    kind, key, family, payload, expires, used, revoked = row
    return GrantRecord(kind, key, family, payload, expires, bool(used), bool(revoked))


class SqliteAuthRecords:
    """AuthRecords on an open SqliteStore: writes through its writer, reads on its readers."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def prepare(self) -> None:
        """Create the auth tables and index when they do not exist yet."""

        def create(conn: sqlite3.Connection) -> None:
            for statement in AUTH_DDL:
                conn.execute(statement)
            have = {row[1] for row in conn.execute("PRAGMA table_info(auth_client)")}
            for column, kind in _LATER_CLIENT_COLUMNS:
                if column not in have:
                    conn.execute(f"ALTER TABLE auth_client ADD COLUMN {column} {kind}")

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
                f"INSERT INTO auth_client ({_CLIENT_COLUMNS}) VALUES ({', '.join('?' * 11)})",  # noqa: S608
                (
                    client.client_id,
                    client.name,
                    client.scope,
                    client.created,
                    client.jwks,
                    client.jwks_url,
                    client.secret_hash,
                    client.redirect_uris,
                    int(client.public),
                    client.launch_url,
                    client.id_token_alg,
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

    async def add_user(self, user: UserRecord) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO auth_user (username, fhir_user, password_hash, created)"
                " VALUES (?, ?, ?, ?)",
                (user.username, user.fhir_user, user.password_hash, user.created),
            )

        try:
            await self.store.writer.submit(insert)
        except sqlite3.IntegrityError:
            raise DuplicateUser(user.username) from None

    async def user(self, username: str) -> UserRecord | None:
        row = await self.store.readers.run(
            lambda conn: conn.execute(
                "SELECT username, fhir_user, password_hash, created FROM auth_user"
                " WHERE username = ?",
                (username,),
            ).fetchone()
        )
        return UserRecord(*row) if row else None

    async def users(self) -> list[UserRecord]:
        rows = await self.store.readers.run(
            lambda conn: conn.execute(
                "SELECT username, fhir_user, password_hash, created FROM auth_user"
                " ORDER BY created, username"
            ).fetchall()
        )
        return [UserRecord(*row) for row in rows]

    async def remove_user(self, username: str) -> bool:
        def remove(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM auth_user_failure WHERE username = ?", (username,))
            return bool(
                conn.execute("DELETE FROM auth_user WHERE username = ?", (username,)).rowcount
            )

        return await self.store.writer.submit(remove)

    async def record_failure(self, username: str, at: int, forget_before: int) -> None:
        def record(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM auth_user_failure WHERE username = ? AND at < ?",
                (username, forget_before),
            )
            conn.execute(
                "INSERT INTO auth_user_failure (username, at) VALUES (?, ?)", (username, at)
            )

        await self.store.writer.submit(record)

    async def failures_since(self, username: str, since: int) -> int:
        row = await self.store.readers.run(
            lambda conn: conn.execute(
                "SELECT count(*) FROM auth_user_failure WHERE username = ? AND at >= ?",
                (username, since),
            ).fetchone()
        )
        return int(row[0])

    async def clear_failures(self, username: str) -> None:
        await self.store.writer.submit(
            lambda conn: conn.execute(
                "DELETE FROM auth_user_failure WHERE username = ?", (username,)
            )
        )

    async def put_grant(self, grant: GrantRecord, now: int) -> None:
        def put(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM auth_grant WHERE expires <= ?", (now,))
            conn.execute(
                f"INSERT OR REPLACE INTO auth_grant ({_GRANT_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    grant.kind,
                    grant.key,
                    grant.family,
                    grant.payload,
                    grant.expires,
                    int(grant.used),
                    int(grant.revoked),
                ),
            )

        await self.store.writer.submit(put)

    async def grant(self, kind: str, key: str, now: int) -> GrantRecord | None:
        row = await self.store.readers.run(
            lambda conn: conn.execute(
                f"SELECT {_GRANT_COLUMNS} FROM auth_grant"  # noqa: S608
                " WHERE kind = ? AND key = ? AND expires > ?",
                (kind, key, now),
            ).fetchone()
        )
        return _grant(row) if row else None

    async def use_grant(self, kind: str, key: str, now: int) -> GrantRecord | None:
        def use(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = conn.execute(
                f"UPDATE auth_grant SET used = 1"  # noqa: S608
                " WHERE kind = ? AND key = ? AND used = 0 AND revoked = 0 AND expires > ?"
                f" RETURNING {_GRANT_COLUMNS}",
                (kind, key, now),
            ).fetchone()
            return row

        row = await self.store.writer.submit(use)
        return _grant(row) if row else None

    async def revoke_family(self, family: str) -> int:
        revoked = await self.store.writer.submit(
            lambda conn: (
                conn.execute(
                    "UPDATE auth_grant SET revoked = 1 WHERE family = ?", (family,)
                ).rowcount
            )
        )
        return int(revoked)

    async def revoke_token(self, key: str, expires: int, now: int) -> None:
        def revoke(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM auth_revoked_token WHERE expires <= ?", (now,))
            conn.execute(
                "INSERT OR REPLACE INTO auth_revoked_token (jti, expires) VALUES (?, ?)",
                (key, expires),
            )

        await self.store.writer.submit(revoke)

    async def revoked_tokens(self, now: int) -> list[str]:
        rows = await self.store.readers.run(
            lambda conn: conn.execute(
                "SELECT jti FROM auth_revoked_token WHERE expires > ? ORDER BY jti", (now,)
            ).fetchall()
        )
        return [row[0] for row in rows]

    async def record_address_failure(self, address: str, at: int, expires: int) -> None:
        def record(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM auth_address_failure WHERE expires <= ?", (at,))
            conn.execute(
                "INSERT INTO auth_address_failure (address, at, expires) VALUES (?, ?, ?)",
                (address, at, expires),
            )

        await self.store.writer.submit(record)

    async def address_failures(self, address: str, since: int, limit: int) -> list[int]:
        rows = await self.store.readers.run(
            lambda conn: conn.execute(
                "SELECT at FROM auth_address_failure WHERE address = ? AND at >= ?"
                " ORDER BY at DESC LIMIT ?",
                (address, since, limit),
            ).fetchall()
        )
        return [int(row[0]) for row in rows]

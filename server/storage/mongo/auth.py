"""The authorization server's records in MongoDB (server.storage.auth_port).

Collections ``auth_signing_keys``, ``auth_clients``, ``auth_jti`` and
``auth_revoked_tokens`` among them; the client id, the assertion id and the revoked
token's id are the documents' ``_id``, so uniqueness is the server's own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from server.storage.auth_port import (
    ClientRecord,
    DuplicateClient,
    DuplicateUser,
    GrantRecord,
    SigningKeyRecord,
    UserRecord,
)

_CLIENT_FIELDS = (
    "name",
    "scope",
    "created",
    "jwks",
    "jwks_url",
    "secret_hash",
    "redirect_uris",
    "public",
    "launch_url",
    "id_token_alg",
)
_USER_FIELDS = ("fhir_user", "password_hash", "created")
_GRANT_FIELDS = ("kind", "key", "family", "payload", "expires", "used", "revoked")


def _client(doc: dict[str, Any]) -> ClientRecord:
    fields: dict[str, Any] = {name: doc.get(name) for name in _CLIENT_FIELDS}
    fields["public"] = bool(fields["public"])  # absent on clients registered before
    return ClientRecord(client_id=doc["_id"], **fields)


def _user(doc: dict[str, Any]) -> UserRecord:
    return UserRecord(doc["_id"], *(doc[name] for name in _USER_FIELDS))


def _grant(doc: dict[str, Any]) -> GrantRecord:
    return GrantRecord(*(doc[name] for name in _GRANT_FIELDS))


def _grant_id(kind: str, key: str) -> str:
    return f"{kind}\x1f{key}"


class MongoAuthRecords:
    """AuthRecords on the database of an open MongoStore."""

    def __init__(self, database: Any) -> None:
        self.database = database

    async def prepare(self) -> None:
        """Create the auth collections' indexes when they do not exist yet."""
        await self.database["auth_signing_keys"].create_index([("created", ASCENDING)])
        await self.database["auth_clients"].create_index([("created", ASCENDING)])
        # A TTL index lets MongoDB drop expired assertion ids; claim_jti does not rely on it.
        await self.database["auth_jti"].create_index(
            [("expire_at", ASCENDING)], expireAfterSeconds=0
        )
        await self.database["auth_users"].create_index([("created", ASCENDING)])
        await self.database["auth_user_failures"].create_index(
            [("username", ASCENDING), ("at", ASCENDING)]
        )
        await self.database["auth_grants"].create_index([("family", ASCENDING)])
        # As for auth_jti: a TTL index tidies up; every read checks expires itself.
        await self.database["auth_grants"].create_index(
            [("expire_at", ASCENDING)], expireAfterSeconds=0
        )
        await self.database["auth_revoked_tokens"].create_index(
            [("expire_at", ASCENDING)], expireAfterSeconds=0
        )
        await self.database["auth_address_failures"].create_index(
            [("address", ASCENDING), ("at", ASCENDING)]
        )
        await self.database["auth_address_failures"].create_index(
            [("expire_at", ASCENDING)], expireAfterSeconds=0
        )

    async def signing_keys(self) -> list[SigningKeyRecord]:
        cursor = self.database["auth_signing_keys"].find().sort([("created", 1), ("_id", 1)])
        return [
            SigningKeyRecord(doc["_id"], doc["private_jwk"], doc["created"]) async for doc in cursor
        ]

    async def add_signing_key(self, key: SigningKeyRecord) -> None:
        await self.database["auth_signing_keys"].insert_one(
            {"_id": key.kid, "private_jwk": key.private_jwk, "created": key.created}
        )

    async def add_client(self, client: ClientRecord) -> None:
        doc: dict[str, Any] = {"_id": client.client_id}
        doc.update((name, getattr(client, name)) for name in _CLIENT_FIELDS)
        try:
            await self.database["auth_clients"].insert_one(doc)
        except DuplicateKeyError:
            raise DuplicateClient(client.client_id) from None

    async def client(self, client_id: str) -> ClientRecord | None:
        doc = await self.database["auth_clients"].find_one({"_id": client_id})
        return _client(doc) if doc else None

    async def clients(self) -> list[ClientRecord]:
        cursor = self.database["auth_clients"].find().sort([("created", 1), ("_id", 1)])
        return [_client(doc) async for doc in cursor]

    async def remove_client(self, client_id: str) -> bool:
        result = await self.database["auth_clients"].delete_one({"_id": client_id})
        return bool(result.deleted_count)

    async def claim_jti(self, client_id: str, jti: str, expires: int, now: int) -> bool:
        collection = self.database["auth_jti"]
        key = f"{client_id}\x1f{jti}"
        doc = {
            "_id": key,
            "expires": expires,
            "expire_at": datetime.fromtimestamp(expires, UTC),
        }
        try:
            await collection.insert_one(doc)
        except DuplicateKeyError:
            # Taken, unless its lifetime is over (the TTL monitor runs only once a minute):
            # then the one writer whose replace matches the expired entry wins.
            replaced = await collection.find_one_and_replace(
                {"_id": key, "expires": {"$lte": now}}, doc
            )
            return replaced is not None
        return True

    async def add_user(self, user: UserRecord) -> None:
        doc: dict[str, Any] = {"_id": user.username}
        doc.update((name, getattr(user, name)) for name in _USER_FIELDS)
        try:
            await self.database["auth_users"].insert_one(doc)
        except DuplicateKeyError:
            raise DuplicateUser(user.username) from None

    async def user(self, username: str) -> UserRecord | None:
        doc = await self.database["auth_users"].find_one({"_id": username})
        return _user(doc) if doc else None

    async def users(self) -> list[UserRecord]:
        cursor = self.database["auth_users"].find().sort([("created", 1), ("_id", 1)])
        return [_user(doc) async for doc in cursor]

    async def remove_user(self, username: str) -> bool:
        await self.database["auth_user_failures"].delete_many({"username": username})
        result = await self.database["auth_users"].delete_one({"_id": username})
        return bool(result.deleted_count)

    async def record_failure(self, username: str, at: int, forget_before: int) -> None:
        failures = self.database["auth_user_failures"]
        await failures.delete_many({"username": username, "at": {"$lt": forget_before}})
        await failures.insert_one({"username": username, "at": at})

    async def failures_since(self, username: str, since: int) -> int:
        found: int = await self.database["auth_user_failures"].count_documents(
            {"username": username, "at": {"$gte": since}}
        )
        return found

    async def clear_failures(self, username: str) -> None:
        await self.database["auth_user_failures"].delete_many({"username": username})

    async def put_grant(self, grant: GrantRecord, now: int) -> None:
        doc: dict[str, Any] = {name: getattr(grant, name) for name in _GRANT_FIELDS}
        doc["expire_at"] = datetime.fromtimestamp(grant.expires, UTC)
        await self.database["auth_grants"].replace_one(
            {"_id": _grant_id(grant.kind, grant.key)}, doc, upsert=True
        )

    async def grant(self, kind: str, key: str, now: int) -> GrantRecord | None:
        doc = await self.database["auth_grants"].find_one(
            {"_id": _grant_id(kind, key), "expires": {"$gt": now}}
        )
        return _grant(doc) if doc else None

    async def use_grant(self, kind: str, key: str, now: int) -> GrantRecord | None:
        doc = await self.database["auth_grants"].find_one_and_update(
            {
                "_id": _grant_id(kind, key),
                "used": False,
                "revoked": False,
                "expires": {"$gt": now},
            },
            {"$set": {"used": True}},
            return_document=ReturnDocument.AFTER,
        )
        return _grant(doc) if doc else None

    async def revoke_family(self, family: str) -> int:
        result = await self.database["auth_grants"].update_many(
            {"family": family}, {"$set": {"revoked": True}}
        )
        return int(result.matched_count)

    async def revoke_token(self, key: str, expires: int, now: int) -> None:
        doc = {"expires": expires, "expire_at": datetime.fromtimestamp(expires, UTC)}
        await self.database["auth_revoked_tokens"].replace_one({"_id": key}, doc, upsert=True)

    async def revoked_tokens(self, now: int) -> list[str]:
        # As for auth_jti: the TTL index tidies up; the expiry is checked here.
        cursor = (
            self.database["auth_revoked_tokens"]
            .find({"expires": {"$gt": now}}, {"_id": 1})
            .sort([("_id", 1)])
        )
        return [doc["_id"] async for doc in cursor]

    async def record_address_failure(self, address: str, at: int, expires: int) -> None:
        await self.database["auth_address_failures"].insert_one(
            {"address": address, "at": at, "expire_at": datetime.fromtimestamp(expires, UTC)}
        )

    async def address_failures(self, address: str, since: int, limit: int) -> list[int]:
        cursor = (
            self.database["auth_address_failures"]
            .find({"address": address, "at": {"$gte": since}}, {"at": 1})
            .sort([("at", -1)])
            .limit(limit)
        )
        return [int(doc["at"]) async for doc in cursor]

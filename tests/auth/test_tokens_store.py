"""The authorization server's records on each store: clients, signing keys, assertion ids."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest
from joserfc import jws

from server.auth.signing_keys import REFRESH_INTERVAL, SigningKeys, ensure_signing_key, rotate
from server.storage.auth_port import AuthRecords, ClientRecord, DuplicateClient, SigningKeyRecord
from server.storage.factory import open_auth_records, store_from_url
from server.storage.port import Store
from tests.auth.tokens import Clock
from tests.released_together import released_together

pytestmark = pytest.mark.anyio
LIFETIME = 300


def _now() -> int:
    """The real clock at the call: MongoDB's expiry index (mongomock's too) drops a claim
    whose expiry is past, so a time taken when the module was loaded goes stale."""
    return int(time.time())


@pytest.fixture
async def records(store: Store) -> AuthRecords:
    return await open_auth_records(store)


def _client(client_id: str, created: int = 1) -> ClientRecord:
    return ClientRecord(
        client_id=client_id,
        name=f"name of {client_id}",
        scope="system/Patient.rs",
        created=created,
        secret_hash="scrypt$...",
    )


async def test_clients_are_added_listed_and_removed(records: AuthRecords) -> None:
    await records.add_client(_client("b", created=2))
    await records.add_client(_client("a", created=1))
    assert [c.client_id for c in await records.clients()] == ["a", "b"]
    assert await records.client("b") == _client("b", created=2)
    assert await records.remove_client("a") is True
    assert await records.remove_client("a") is False
    assert await records.client("a") is None


async def test_a_client_id_is_registered_once(records: AuthRecords) -> None:
    await records.add_client(_client("a"))
    with pytest.raises(DuplicateClient):
        await records.add_client(_client("a"))


async def test_signing_keys_come_oldest_first(records: AuthRecords) -> None:
    await records.add_signing_key(SigningKeyRecord("k2", "{}", 20))
    await records.add_signing_key(SigningKeyRecord("k1", "{}", 10))
    assert [k.kid for k in await records.signing_keys()] == ["k1", "k2"]


async def test_an_assertion_id_is_accepted_once_within_its_lifetime(records: AuthRecords) -> None:
    now = _now()
    assert await records.claim_jti("c", "j1", expires=now + 100, now=now) is True
    assert await records.claim_jti("c", "j1", expires=now + 100, now=now + 10) is False
    assert await records.claim_jti("other", "j1", expires=now + 100, now=now + 10) is True
    # Its lifetime over, the id may come back.
    assert await records.claim_jti("c", "j1", expires=now + 300, now=now + 101) is True


async def test_concurrent_claims_of_one_assertion_id_let_exactly_one_through(
    records: AuthRecords,
) -> None:
    now = _now()
    outcomes = await released_together(
        [lambda: records.claim_jti("c", "same", expires=now + LIFETIME, now=now) for _ in range(8)]
    )
    assert sorted(outcomes) == [False] * 7 + [True]


async def test_two_processes_on_one_sqlite_file_share_the_assertion_ids(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = store_from_url(url), store_from_url(url)
    await first.open()
    await second.open()
    try:
        one, two = await open_auth_records(first), await open_auth_records(second)
        now = _now()
        outcomes = await released_together(
            [
                lambda r=r: r.claim_jti("c", "j", expires=now + LIFETIME, now=now)
                for r in (one, two) * 4
            ]
        )
        assert sorted(outcomes) == [False] * 7 + [True]
    finally:
        await first.close()
        await second.close()


async def test_a_running_server_signs_with_a_key_rotated_elsewhere(records: AuthRecords) -> None:
    await ensure_signing_key(records)
    clock = Clock(0.0)
    keys = SigningKeys(records, clock=clock)
    before = await keys.sign({"sub": "c"})
    new_kid = await rotate(records)  # as `fhirport keys rotate` would, from another process
    clock.now += REFRESH_INTERVAL
    after = await keys.sign({"sub": "c"})
    assert jws.extract_compact(after.encode()).headers()["kid"] == new_kid
    old_kid = jws.extract_compact(before.encode()).headers()["kid"]
    assert {old_kid, new_kid} == {k["kid"] for k in (await keys.public_jwks())["keys"]}
    assert await keys.key(old_kid) is not None


async def test_a_kid_rotated_elsewhere_is_found_when_a_token_names_it(
    records: AuthRecords,
) -> None:
    await ensure_signing_key(records)
    clock = Clock(0.0)
    keys = SigningKeys(records, clock=clock)
    await keys.public_jwks()  # loaded
    new_kid = await rotate(records)
    assert await keys.key(new_kid) is None  # read moments ago: not read again yet
    clock.now += REFRESH_INTERVAL
    assert await keys.key(new_kid) is not None


async def test_signing_id_tokens_at_once_makes_one_rsa_key(records: AuthRecords) -> None:
    await ensure_signing_key(records)
    keys = SigningKeys(records)
    signed = await asyncio.gather(*(keys.sign({"sub": "u"}, "RS256") for _ in range(3)))
    kept = [(orjson.loads(k.private_jwk)["alg"], k.kid) for k in await records.signing_keys()]
    assert sorted(alg for alg, _ in kept) == ["ES256", "RS256"]  # one RSA key, not one each
    rsa = next(kid for alg, kid in kept if alg == "RS256")
    assert {jws.extract_compact(t.encode()).headers()["kid"] for t in signed} == {rsa}

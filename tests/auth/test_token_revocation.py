"""Revoking an access token (RFC 7009) takes effect at the resource server before it expires.

The revoked token's ``jti`` is kept in the store until the token expires; each server
process holds the list in memory and reads it again at most ``REFRESH_INTERVAL``
seconds after it last did, so a token revoked through one process is refused by every
other process on the store within that interval, and at once by the one that revoked it.
"""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import httpx
import orjson
import pytest
from click.testing import CliRunner

from server.auth.issuers import external_issuer
from server.auth.revocations import REFRESH_INTERVAL, RevokedTokens
from server.auth.tokens import InvalidToken, TokenVerifier
from server.cli import main
from server.storage.auth_port import AuthRecords
from server.storage.factory import open_auth_records
from server.storage.port import Store
from tests.auth.tokens import ISSUER, Clock, auth_settings, issue
from tests.e2e.server_process import running_server

pytestmark = pytest.mark.anyio


@pytest.fixture
async def records(store: Store) -> AuthRecords:
    return await open_auth_records(store)


async def test_a_revoked_token_id_is_kept_until_the_token_expires(records: AuthRecords) -> None:
    now = int(time.time())
    await records.revoke_token("live", now + 300, now)
    await records.revoke_token("live", now + 300, now)  # revoked twice: one entry
    await records.revoke_token("over", now - 1, now)
    assert await records.revoked_tokens(now) == ["live"]
    assert await records.revoked_tokens(now + 300) == []


def _process(tmp_path: Path, records: AuthRecords, clock: Clock) -> TokenVerifier:
    """One server process's verifier: its own memory, the shared store."""
    settings = auth_settings(tmp_path)
    trusted = external_issuer(
        settings["auth_issuer"], settings["auth_jwks"], settings["auth_audience"], ()
    )
    return TokenVerifier([trusted], clock=clock, revoked=RevokedTokens(records))


async def test_two_processes_refuse_a_revoked_token_within_the_interval(
    records: AuthRecords, tmp_path: Path
) -> None:
    clock = Clock()
    first, second = _process(tmp_path, records, clock), _process(tmp_path, records, clock)
    token = issue("system/*.rs")
    other = issue("system/*.rs")
    await second.verify(token)  # remembered by the second process
    claims = await first.verify(token)
    assert first.revoked is not None
    await first.revoked.revoke(claims)

    with pytest.raises(InvalidToken, match="revoked"):
        await first.verify(token)
    clock.now += REFRESH_INTERVAL
    with pytest.raises(InvalidToken, match="revoked"):
        await second.verify(token)
    assert (await second.verify(other)).client_id == "test-client"


async def test_a_token_without_an_id_cannot_be_revoked_but_others_still_pass(
    records: AuthRecords, tmp_path: Path
) -> None:
    clock = Clock()
    verifier = _process(tmp_path, records, clock)
    assert verifier.revoked is not None
    anonymous = await verifier.verify(issue("system/*.rs", jti=None))
    assert await verifier.revoked.revoke(anonymous) is False
    assert (await verifier.verify(issue("system/*.rs", jti=None))).scope == "system/*.rs"


def _basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


@pytest.mark.slow
async def test_two_server_processes_on_one_store_honour_a_revocation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    # One public base: a token either process issues is addressed to both.
    serve = ("--auth", "smart", "--base-url", "http://fhirport.test/fhir")
    with running_server(url, *serve) as first, running_server(url, *serve) as second:
        add = ["clients", "add", "etl", "--scope", "system/*.rs", "--secret", "--store", url]
        added = orjson.loads((await asyncio.to_thread(CliRunner().invoke, main, add)).output)
        basic = _basic(added["client_id"], added["client_secret"])
        root = first.removesuffix("/fhir")
        async with httpx.AsyncClient() as http:
            form = {"grant_type": "client_credentials", "scope": "system/Patient.rs"}
            token = (await http.post(root + "/auth/token", data=form, headers=basic)).json()
            bearer = {"Authorization": f"Bearer {token['access_token']}"}
            assert (await http.get(second + "/Patient", headers=bearer)).status_code == 200

            revoked = await http.post(
                root + "/auth/revoke", data={"token": token["access_token"]}, headers=basic
            )
            assert revoked.status_code == 200
            started = time.monotonic()
            assert (await http.get(first + "/Patient", headers=bearer)).status_code == 401
            while (await http.get(second + "/Patient", headers=bearer)).status_code == 200:
                # The margin is the polling requests' own time on a loaded machine.
                assert time.monotonic() - started < REFRESH_INTERVAL + 2.0
                await asyncio.sleep(0.1)
            refused = await http.get(second + "/Patient", headers=bearer)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_revoking_a_token_leaves_another_issuers_token_of_the_same_id(
    records: AuthRecords, tmp_path: Path
) -> None:
    # A jti is unique per issuer only (RFC 7519, 4.1.7): two issuers may use one.
    settings = auth_settings(tmp_path)
    other_issuer = "https://other-issuer.test/realms/x"
    verifier = TokenVerifier(
        [
            external_issuer(ISSUER, settings["auth_jwks"], settings["auth_audience"], ()),
            external_issuer(other_issuer, settings["auth_jwks"], settings["auth_audience"], ()),
        ],
        clock=Clock(),
        revoked=RevokedTokens(records),
    )
    revoked = issue("system/*.rs", jti="shared-id")
    theirs = issue("system/*.rs", jti="shared-id", iss=other_issuer)
    assert verifier.revoked is not None
    await verifier.revoked.revoke(await verifier.verify(revoked))

    with pytest.raises(InvalidToken, match="revoked"):
        await verifier.verify(revoked)
    assert (await verifier.verify(theirs)).issuer == other_issuer

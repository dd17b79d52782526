"""A Backend Services client end to end: its token from /auth/token opens the FHIR API."""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import httpx
import orjson
import pytest
from click.testing import CliRunner

from server.app import create_app
from server.auth.clients import register_client
from server.cli import main
from server.settings import Settings
from server.storage.factory import open_auth_records
from tests.auth.tokens import sign, write_jwks
from tests.conftest import FHIR_JSON, make_patient
from tests.e2e.server_process import running_server
from tests.released_together import released_together

pytestmark = pytest.mark.anyio


async def test_a_token_from_the_built_in_server_reads_what_its_scopes_allow(
    store_url: str,
) -> None:
    settings = Settings(store=store_url, allowed_hosts=("testserver",), auth="smart")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        records = await open_auth_records(app.state.runtime.store)
        client, secret = await register_client(
            records, "reader", "system/Patient.cruds", secret=True
        )
        basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/fhir/Patient")).status_code == 401
            answer = await http.post(
                "/auth/token",
                data={"grant_type": "client_credentials", "scope": "system/Patient.cruds"},
                headers={"Authorization": f"Basic {basic}"},
            )
            bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            created = await http.post(
                "/fhir/Patient", json=make_patient(), headers={**FHIR_JSON, **bearer}
            )
            assert created.status_code == 201
            assert (await http.get("/fhir/Patient", headers=bearer)).json()["total"] == 1
            assert (await http.get("/fhir/Claim", headers=bearer)).status_code == 403
            forged = {"Authorization": bearer["Authorization"][:-4] + "AAAA"}
            refused = await http.get("/fhir/Patient", headers=forged)
            assert refused.status_code == 401
            assert 'error="invalid_token"' in refused.headers["www-authenticate"]


@pytest.mark.slow
async def test_a_running_server_takes_new_clients_and_two_servers_share_assertion_ids(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    with running_server(url) as first, running_server(url) as second:
        # Registered while both run: neither caches the client list.
        jwks = str(write_jwks(tmp_path / "client.json"))
        add = ["clients", "add", "etl", "--scope", "system/*.rs", "--jwks", jwks, "--store", url]
        added = await asyncio.to_thread(CliRunner().invoke, main, add)
        client_id = orjson.loads(added.output)["client_id"]
        token_urls = [base.removesuffix("/fhir") + "/auth/token" for base in (first, second)]
        now = int(time.time())
        assertion = sign(
            {"iss": client_id, "sub": client_id, "aud": token_urls, "exp": now + 120, "jti": "once"}
        )
        form = {
            "grant_type": "client_credentials",
            "scope": "system/Patient.rs",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }
        async with httpx.AsyncClient() as http:
            answers = await released_together(
                [lambda u=u: http.post(u, data=form) for u in token_urls]
            )
        assert sorted(a.status_code for a in answers) == [200, 401]

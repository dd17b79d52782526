"""The built-in authorization server over HTTP: discovery, keys, and POST /auth/token."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from server.app import create_app
from server.auth.clients import register_client
from server.auth.signing_keys import rotate
from server.auth.tokens import InvalidToken
from server.runtime import Runtime
from server.settings import Settings
from server.storage.factory import open_auth_records
from tests.auth.tokens import jwks, sign
from tests.released_together import released_together

pytestmark = pytest.mark.anyio

TOKEN_URL = "http://testserver/auth/token"
FORM = "application/x-www-form-urlencoded"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_KEY = RSAKey.generate_key(2048, parameters={"kid": "client-rsa"}, private=True)


def _settings(store_url: str) -> Settings:
    return Settings(
        store=store_url, host="127.0.0.1", port=8080, allowed_hosts=("testserver",), auth="smart"
    )


async def _serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
def app(store_url: str) -> FastAPI:
    return create_app(_settings(store_url))


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _serving(app):
        yield client


def _runtime(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def _key_client(app: FastAPI, scope: str = "system/Patient.rs system/Claim.rs") -> str:
    records = await open_auth_records(_runtime(app).store)
    record, _ = await register_client(records, "etl", scope, jwks=jwks(CLIENT_KEY))
    return record.client_id


async def _secret_client(app: FastAPI, scope: str = "system/*.rs") -> tuple[str, str]:
    records = await open_auth_records(_runtime(app).store)
    record, secret = await register_client(records, "billing", scope, secret=True)
    assert secret is not None
    return record.client_id, secret


def _assertion(client_id: str, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "exp": now + 240,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return sign(claims, key=CLIENT_KEY, algorithm="RS384")


def _key_form(assertion: str, scope: str = "system/Patient.rs") -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }


def _basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def test_discovery_at_the_root_and_under_fhir(http: httpx.AsyncClient) -> None:
    for path in ("/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"):
        response = await http.get(path)
        assert response.status_code == 200
        document = response.json()
        assert document["token_endpoint"] == TOKEN_URL
        assert document["jwks_uri"] == "http://testserver/auth/jwks"
        # Backend Services' part; SMART App Launch's is tests/auth/launch/test_endpoints.py.
        assert "client_credentials" in document["grant_types_supported"]
        assert {"private_key_jwt", "client_secret_basic"} <= set(
            document["token_endpoint_auth_methods_supported"]
        )
        assert "none" not in document["token_endpoint_auth_signing_alg_values_supported"]
        assert {
            "client-confidential-asymmetric",
            "client-confidential-symmetric",
            "permission-v1",
            "permission-v2",
        } <= set(document["capabilities"])


async def test_discovery_from_an_unallowed_host_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.get("/.well-known/smart-configuration", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.text.replace("'evil.example'", "")


async def test_a_key_client_gets_a_token_the_server_trusts(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id = await _key_client(app)
    response = await http.post(TOKEN_URL, data=_key_form(_assertion(client_id)))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    answer = response.json()
    assert answer["token_type"] == "bearer"
    assert 0 < answer["expires_in"] <= 300
    assert answer["scope"] == "system/Patient.rs"
    assert "refresh_token" not in answer
    claims = await _runtime(app).tokens.verify(answer["access_token"])
    assert (claims.client_id, claims.scope, claims.issuer) == (
        client_id,
        "system/Patient.rs",
        "http://testserver",
    )
    published = (await http.get("/auth/jwks")).json()
    header = jwt.decode(answer["access_token"], KeySet.import_key_set(published)).header
    assert header["kid"] in {key["kid"] for key in published["keys"]}
    assert all("d" not in key for key in published["keys"])


async def test_a_secret_client_gets_a_token(app: FastAPI, http: httpx.AsyncClient) -> None:
    client_id, secret = await _secret_client(app)
    response = await http.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "scope": "system/Patient.rs"},
        headers=_basic(client_id, secret),
    )
    assert response.status_code == 200, response.text
    claims = await _runtime(app).tokens.verify(response.json()["access_token"])
    assert claims.client_id == client_id


async def test_a_wrong_secret_is_invalid_client(app: FastAPI, http: httpx.AsyncClient) -> None:
    client_id, _ = await _secret_client(app)
    response = await http.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "scope": "system/Patient.rs"},
        headers=_basic(client_id, "not-the-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"exp": int(time.time()) + 3600}, id="exp-an-hour-ahead"),
        pytest.param({"exp": int(time.time()) - 120}, id="expired"),
        pytest.param({"aud": "http://testserver/fhir"}, id="wrong-aud"),
        pytest.param({"sub": "someone-else"}, id="sub-not-iss"),
        pytest.param({"jti": None}, id="no-jti"),
    ],
)
async def test_a_bad_assertion_is_invalid_client(
    app: FastAPI, http: httpx.AsyncClient, overrides: dict[str, Any]
) -> None:
    client_id = await _key_client(app)
    response = await http.post(TOKEN_URL, data=_key_form(_assertion(client_id, **overrides)))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


async def test_an_assertion_signed_with_an_unregistered_key_is_refused(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id = await _key_client(app)
    stranger = ECKey.generate_key("P-256", parameters={"kid": CLIENT_KEY.kid}, private=True)
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "exp": now + 60, "jti": "x"}
    response = await http.post(TOKEN_URL, data=_key_form(sign(claims, key=stranger)))
    assert response.status_code == 401


async def test_a_reused_jti_is_refused(app: FastAPI, http: httpx.AsyncClient) -> None:
    client_id = await _key_client(app)
    assertion = _assertion(client_id)
    first = await http.post(TOKEN_URL, data=_key_form(assertion))
    second = await http.post(TOKEN_URL, data=_key_form(assertion))
    assert (first.status_code, second.status_code) == (200, 401)
    assert "jti" in second.json()["error_description"]


async def test_one_assertion_sent_twice_at_once_gets_one_token(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id = await _key_client(app)
    form = _key_form(_assertion(client_id))
    responses = await released_together([lambda: http.post(TOKEN_URL, data=form)] * 2)
    assert sorted(r.status_code for r in responses) == [200, 401]


async def test_scopes_granted_are_the_requested_ones_registered(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id = await _key_client(app, "system/Patient.read system/Claim.rs")
    asked = "system/Patient.rs system/Claim.r system/Observation.rs system/*.rs patient/Patient.rs"
    response = await http.post(TOKEN_URL, data=_key_form(_assertion(client_id), scope=asked))
    assert response.json()["scope"] == "system/Patient.rs system/Claim.r"
    refused = await http.post(
        TOKEN_URL, data=_key_form(_assertion(client_id), scope="system/Observation.rs")
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        pytest.param({"grant_type": "password"}, "unsupported_grant_type", id="password"),
        pytest.param({"scope": "system/*.rs"}, "invalid_request", id="no-grant-type"),
        pytest.param({"grant_type": "client_credentials"}, "invalid_client", id="no-client"),
        pytest.param(
            {"grant_type": "client_credentials", "client_assertion": "x"},
            "invalid_request",
            id="assertion-without-type",
        ),
    ],
)
async def test_malformed_requests(
    http: httpx.AsyncClient, form: dict[str, str], error: str
) -> None:
    response = await http.post(TOKEN_URL, data=form)
    assert response.status_code in (400, 401)
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(b'{"grant_type": "client_credentials"}', "application/json", id="json"),
        pytest.param(
            b"grant_type=a&grant_type=b",
            FORM,
            id="repeated",
        ),
        pytest.param(b"\xff\xfe", FORM, id="not-ascii"),
        pytest.param(b"a" * 70_000, FORM, id="too-large"),
    ],
)
async def test_a_body_that_is_no_form_is_invalid_request(
    http: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await http.post(TOKEN_URL, content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_client_asking_too_often_is_told_when_to_retry(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    client_id, _ = await _secret_client(app)
    form = {"grant_type": "client_credentials", "scope": "system/Patient.rs"}
    statuses = [
        (await http.post(TOKEN_URL, data=form, headers=_basic(client_id, "wrong"))).status_code
        for _ in range(10)
    ]
    limited = await http.post(TOKEN_URL, data=form, headers=_basic(client_id, "wrong"))
    assert statuses == [401] * 10
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


async def test_the_server_trusts_its_own_keys_only_under_its_own_names(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        runtime = _runtime(app)
        now = int(time.time())
        claims = {"sub": "c", "client_id": "c", "scope": "system/*.rs", "exp": now + 60}
        sign_ = runtime.token_service.keys.sign
        good = await sign_({**claims, "iss": "http://testserver", "aud": "http://testserver/fhir"})
        assert (await runtime.tokens.verify(good)).client_id == "c"
        for iss, aud in [
            ("http://evil.example", "http://evil.example/fhir"),
            ("http://testserver", "http://evil.example/fhir"),
            ("http://testserver/x", "http://testserver/x/fhir"),
        ]:
            with pytest.raises(InvalidToken):
                await runtime.tokens.verify(await sign_({**claims, "iss": iss, "aud": aud}))


async def test_rotated_keys_sign_and_old_tokens_stay_valid(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rotate.sqlite3'}"
    first_app = create_app(_settings(url))
    async for http in _serving(first_app):
        client_id, secret = await _secret_client(first_app)
        form = {"grant_type": "client_credentials", "scope": "system/Patient.rs"}
        old = (await http.post(TOKEN_URL, data=form, headers=_basic(client_id, secret))).json()
        new_kid = await rotate(await open_auth_records(_runtime(first_app).store))
    second_app = create_app(_settings(url))
    async for http in _serving(second_app):
        fresh = (await http.post(TOKEN_URL, data=form, headers=_basic(client_id, secret))).json()
        published = (await http.get("/auth/jwks")).json()
        assert len(published["keys"]) == 2
        assert (
            jwt.decode(fresh["access_token"], KeySet.import_key_set(published)).header["kid"]
            == new_kid
        )
        verified = await _runtime(second_app).tokens.verify(old["access_token"])
        assert verified.client_id == client_id


@pytest.fixture
def jwks_url(tmp_path: Path) -> Iterator[str]:
    """A JWKS served over HTTP on a loopback port, as a client would serve its keys."""
    (tmp_path / "jwks.json").write_bytes(orjson.dumps(jwks(CLIENT_KEY)))
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_client_with_a_jwks_url_gets_a_token(
    app: FastAPI, http: httpx.AsyncClient, jwks_url: str
) -> None:
    records = await open_auth_records(_runtime(app).store)
    record, _ = await register_client(records, "remote", "system/*.rs", jwks_url=jwks_url)
    response = await http.post(TOKEN_URL, data=_key_form(_assertion(record.client_id)))
    assert response.status_code == 200, response.text


async def test_each_token_request_is_audited_with_the_client_it_named(store_url: str) -> None:
    app = create_app(_settings(store_url).model_copy(update={"audit": "all"}))
    async for http in _serving(app):
        client_id, secret = await _secret_client(app)
        form = {"grant_type": "client_credentials", "scope": "system/Patient.rs"}
        granted = await http.post(TOKEN_URL, data=form, headers=_basic(client_id, secret))
        refused = await http.post(TOKEN_URL, data=form, headers=_basic(client_id, "wrong"))
        assert (granted.status_code, refused.status_code) == (200, 401)
        await app.state.audit.flush()
        engine = app.state.search
        found = await engine.run(engine.parse("AuditEvent", [("_sort", "date")], lenient=False))
        events = [orjson.loads(v.body) for v in found.page.versions]
    logins = [e for e in events if e["subtype"][0]["code"] == "110122"]
    assert [e["agent"][0]["who"]["identifier"]["value"] for e in logins] == [client_id] * 2
    assert [e["outcome"] for e in logins] == ["0", "4"]
    assert secret not in str(events)

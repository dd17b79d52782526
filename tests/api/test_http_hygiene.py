"""HTTP hygiene: caching and sniffing headers, CORS, and the request limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from server.app import create_app
from server.cli import main
from server.search.includes import MAX_ROUNDS
from server.settings import Settings
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio

ORIGIN = "https://app.example.org"
Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def serving(settings: Settings) -> Client:
    """An in-process client of an app built with ``settings`` plus the given overrides."""

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update={"auth": "none", **overrides}))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield c

    return run


@pytest.fixture
async def http(serving: Client) -> AsyncIterator[httpx.AsyncClient]:
    async with serving() as client:
        yield client


def outcome_text(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return " ".join(issue["diagnostics"] for issue in body["issue"])


async def test_patient_data_is_never_cached(http: httpx.AsyncClient) -> None:
    created = await http.post("/fhir/Patient", json=make_patient())
    location = created.headers["location"].split("/_history")[0]

    answers = [
        created,
        await http.get(location),
        await http.get("/fhir/Patient?family=alvarez"),
        await http.get(f"{location}/_history"),
        await http.get("/fhir/Patient/unknown"),
        await http.post("/auth/token", data={"grant_type": "client_credentials"}),
    ]

    assert [r.headers.get("cache-control") for r in answers] == ["no-store"] * len(answers)


async def test_metadata_and_discovery_may_be_cached(http: httpx.AsyncClient) -> None:
    answers = [
        await http.get("/fhir/metadata"),
        await http.get("/.well-known/smart-configuration"),
        await http.get("/fhir/.well-known/smart-configuration"),
    ]

    assert [r.headers.get("cache-control") for r in answers] == [None, None, None]


async def test_every_response_says_nosniff(http: httpx.AsyncClient) -> None:
    answers = [
        await http.get("/fhir/metadata"),
        await http.get("/fhir/Patient/unknown"),
        await http.get("/not/a/path"),
        await http.get("/fhir/metadata", headers={"host": "evil.example"}),
    ]

    assert [r.status_code for r in answers] == [200, 404, 404, 400]
    assert {r.headers.get("x-content-type-options") for r in answers} == {"nosniff"}


async def test_https_answers_ask_browsers_to_stay_on_https(serving: Client) -> None:
    """RFC 6797: Strict-Transport-Security over HTTPS only (over HTTP it would be ignored)."""
    async with serving() as plain:
        over_http = await plain.get("/fhir/metadata")
    app = create_app(
        Settings(store="memory://", seed=False, auth="none", allowed_hosts=("testserver",))
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
            answers = [await tls.get("/fhir/metadata"), await tls.get("/fhir/Patient/x")]

    assert "strict-transport-security" not in over_http.headers
    assert [r.headers.get("strict-transport-security") for r in answers] == ["max-age=31536000"] * 2


async def test_cors_is_off_unless_origins_are_listed(http: httpx.AsyncClient) -> None:
    simple = await http.get("/fhir/metadata", headers={"origin": ORIGIN})
    preflight = await http.options(
        "/fhir/Patient",
        headers={"origin": ORIGIN, "access-control-request-method": "GET"},
    )

    assert "access-control-allow-origin" not in simple.headers
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_answers_listed_origins_only(serving: Client) -> None:
    async with serving(cors_origins=(ORIGIN, "http://localhost:3000")) as http:
        listed = await http.get("/fhir/metadata", headers={"origin": ORIGIN})
        unlisted = await http.get("/fhir/metadata", headers={"origin": "https://evil.example"})
        preflight = await http.options(
            "/fhir/Patient",
            headers={
                "origin": ORIGIN,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type",
            },
        )

    assert listed.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-credentials" not in listed.headers
    assert "access-control-allow-origin" not in unlisted.headers
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "location" in listed.headers["access-control-expose-headers"].lower()


def test_a_wildcard_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="never"):
        Settings(cors_origins="*")


async def test_a_url_past_the_limit_is_a_414(serving: Client) -> None:
    async with serving(max_url_length=1024) as http:
        at_limit = await http.get("/fhir/Patient?name=" + "a" * (1024 - len("/fhir/Patient?name=")))
        past = await http.get("/fhir/Patient?name=" + "a" * 1024)

    assert at_limit.status_code == 200
    assert past.status_code == 414
    assert "1024" in outcome_text(past)
    assert past.json()["issue"][0]["code"] == "too-long"


async def test_too_many_query_parameters_are_a_400(serving: Client) -> None:
    async with serving(max_query_params=5) as http:
        five = await http.get("/fhir/Patient?" + "&".join(["name=a"] * 5))
        six = await http.get("/fhir/Patient?" + "&".join(["name=a"] * 6))

    assert five.status_code == 200
    assert six.status_code == 400
    assert "5 query parameters" in outcome_text(six)


async def test_include_iteration_past_its_depth_is_a_400(http: httpx.AsyncClient) -> None:
    # A chain of organizations, each part of the one before: ids[n] has n ancestors.
    ids: list[str] = []
    for level in range(MAX_ROUNDS + 2):
        organization: dict[str, Any] = {"resourceType": "Organization", "name": f"L{level}"}
        if ids:
            organization["partOf"] = {"reference": f"Organization/{ids[-1]}"}
        ids.append((await http.post("/fhir/Organization", json=organization)).json()["id"])
    iterate = "_include:iterate=Organization:partof"

    deep = await http.get(f"/fhir/Organization?_id={ids[-1]}&{iterate}")
    at_depth = await http.get(f"/fhir/Organization?_id={ids[MAX_ROUNDS]}&{iterate}")
    once = await http.get(f"/fhir/Organization?_id={ids[-1]}&_include=Organization:partof")

    assert deep.status_code == 400
    assert f"at most {MAX_ROUNDS} levels" in outcome_text(deep)
    assert deep.json()["issue"][0]["expression"] == ["_include:iterate"]
    assert at_depth.status_code == 200
    assert len(at_depth.json()["entry"]) == MAX_ROUNDS + 1
    assert once.status_code == 200
    assert len(once.json()["entry"]) == 2


async def test_a_read_over_its_time_budget_is_a_503_and_a_write_is_never_cut(
    serving: Client, settings: Settings
) -> None:
    if settings.store.startswith("memory"):
        pytest.skip("the in-process store answers without yielding: nothing can interrupt it")
    async with serving(request_timeout=1e-6) as http:
        write = await http.post("/fhir/Patient", json=make_patient())
        read = await http.get("/fhir/Patient?family=alvarez")

    assert write.status_code == 201
    assert read.status_code == 503
    assert read.headers["retry-after"]
    assert read.json()["issue"][0]["code"] == "timeout"


async def test_an_unexpected_error_says_nosniff_and_no_store(settings: Settings) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug")

    app = create_app(settings.model_copy(update={"auth": "none"}))
    app.add_api_route("/test-only/broken", broken)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            failed = await http.get("/test-only/broken")

    assert failed.status_code == 500
    assert failed.headers["x-content-type-options"] == "nosniff"
    assert failed.headers["cache-control"] == "no-store"


def test_serve_refuses_a_certificate_without_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not read before the options are checked", encoding="utf-8")
    options = ["serve", "--tls-cert", str(cert), "--store", f"sqlite:///{tmp_path / 'x.db'}"]

    result = CliRunner().invoke(main, options)

    assert result.exit_code == 2
    assert "tls_cert and tls_key go together" in result.output
    assert "Traceback" not in result.output


async def test_https_through_a_trusted_proxy_asks_browsers_to_stay_on_https() -> None:
    """The proxy's X-Forwarded-Proto is believed inside the headers' layer: HSTS follows it."""
    app = create_app(
        Settings(
            store="memory://",
            seed=False,
            auth="none",
            allowed_hosts=("testserver",),
            forwarded_allow_ips=("127.0.0.1",),
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            proxied = await http.get("/fhir/metadata", headers={"X-Forwarded-Proto": "https"})
            direct = await http.get("/fhir/metadata")

    assert proxied.headers.get("strict-transport-security") == "max-age=31536000"
    assert "strict-transport-security" not in direct.headers

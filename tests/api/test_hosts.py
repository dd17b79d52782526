"""Absolute URLs come from --base-url or an allowed Host; X-Forwarded-* from a trusted proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio

PUBLIC = "https://fhir.hospital.example/api/fhir"


@asynccontextmanager
async def serving(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the app built from ``settings`` with ``overrides``; Host set per request."""
    from server.app import create_app

    app = create_app(settings.model_copy(update={"allowed_hosts": (), **overrides}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)  # the peer is 127.0.0.1
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


async def create_two(http: httpx.AsyncClient, host: str) -> str:
    headers = {**FHIR_JSON, "Host": host}
    for _ in range(2):
        created = await http.post("/fhir/Patient", json=make_patient(), headers=headers)
        assert created.status_code == 201, created.text
    return str(created.headers["location"])


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("evil.example", id="other-name"),
        pytest.param("127.0.0.1:8081", id="other-port"),
        pytest.param("127.0.0.1", id="no-port"),
        pytest.param("testserver", id="test-client-name-not-allowed-by-default"),
        pytest.param("127.0.0.1:8080@evil.example", id="userinfo-trick"),
        pytest.param("evil.example/127.0.0.1:8080", id="path-trick"),
        pytest.param("127.0.0.1:8080 ", id="trailing-space"),
        pytest.param("", id="empty"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/fhir/metadata", id="metadata"),
        pytest.param("POST", "/fhir/Patient", id="create"),
        pytest.param("GET", "/fhir/Patient/_history", id="history"),
        pytest.param("GET", "/foo", id="unknown-path"),
    ],
)
async def test_a_host_not_allowed_is_400_whatever_the_path(
    settings: Settings, host: str, method: str, path: str
) -> None:
    async with serving(settings) as http:
        body = make_patient() if method == "POST" else None
        response = await http.request(method, path, json=body, headers={**FHIR_JSON, "Host": host})
        stored = (await http.get("/fhir/Patient", headers={"Host": "localhost:8080"})).json()

    assert response.status_code == 400, response.text[:300]
    assert "location" not in response.headers
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["Host"]
    assert stored["total"] == 0


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080"],
    ids=["listening-address", "localhost", "localhost-upper-case"],
)
async def test_default_allowed_hosts_are_the_listening_address_and_localhost(
    settings: Settings, host: str
) -> None:
    async with serving(settings) as http:
        location = await create_two(http, host)
        history = (
            await http.get("/fhir/Patient/_history", params={"_count": 1}, headers={"Host": host})
        ).json()
        search = (
            await http.get("/fhir/Patient", params={"_count": 1}, headers={"Host": host})
        ).json()

    origin = f"http://{host.lower()}/fhir/"
    assert location.startswith(f"{origin}Patient/")
    for bundle in (history, search):
        assert bundle["entry"][0]["fullUrl"].startswith(f"{origin}Patient/")
        assert set(links(bundle)) >= {"self", "next"}
        assert all(url.startswith(origin) for url in links(bundle).values()), links(bundle)


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "[::1]:8080", "localhost:8080"])
async def test_listening_on_every_address_allows_the_loopback_names(
    settings: Settings, host: str
) -> None:
    # In a container the server listens on 0.0.0.0 and is reached through a published
    # port on the host's loopback address, by number as often as by name.
    async with serving(settings, host="0.0.0.0") as http:
        location = await create_two(http, host)
        other = await http.get("/fhir/metadata", headers={"Host": "10.1.2.3:8080"})

    assert location.startswith(f"http://{host}/fhir/Patient/")
    assert other.status_code == 400


async def test_allowed_hosts_replace_the_default(settings: Settings) -> None:
    async with serving(settings, allowed_hosts=("fhir.ward.example",)) as http:
        named = await http.get("/fhir/metadata", headers={"Host": "fhir.ward.example:8443"})
        listening = await http.get("/fhir/metadata", headers={"Host": "127.0.0.1:8080"})
        created = await http.post(
            "/fhir/Patient", json=make_patient(), headers={**FHIR_JSON, "Host": "fhir.ward.example"}
        )

    assert named.status_code == 200
    assert listening.status_code == 400
    assert created.headers["location"].startswith("http://fhir.ward.example/fhir/Patient/")


async def test_base_url_builds_every_link_and_its_host_is_allowed(settings: Settings) -> None:
    async with serving(settings, base_url=PUBLIC + "/") as http:
        location = await create_two(http, "fhir.hospital.example")
        other = await http.get("/fhir/metadata", headers={"Host": "evil.example"})
        host = {"Host": "127.0.0.1:8080"}
        page = {"_count": 1}
        history = (await http.get("/fhir/Patient/_history", params=page, headers=host)).json()
        resource_path = "/fhir" + location.removeprefix(PUBLIC).split("/_history")[0]
        instance = await http.get(f"{resource_path}/_history", headers=host)
        search = (await http.get("/fhir/Patient", params=page, headers=host)).json()
        following = await http.get(
            "/fhir" + links(history)["next"].removeprefix(PUBLIC), headers=host
        )

    assert location.startswith(f"{PUBLIC}/Patient/")
    assert other.status_code == 400
    assert instance.status_code == 200, instance.text
    for bundle in (history, search, instance.json(), following.json()):
        assert set(links(bundle)) >= {"self"}
        assert all(url.startswith(f"{PUBLIC}/") for url in links(bundle).values()), links(bundle)
        assert all(e["fullUrl"].startswith(f"{PUBLIC}/Patient/") for e in bundle["entry"])
    assert links(history)["self"] == f"{PUBLIC}/Patient/_history?_count=1"
    assert links(history)["next"].startswith(f"{PUBLIC}/Patient/_history?_count=1&_page=")


async def test_forwarded_proto_is_ignored_from_an_untrusted_peer(settings: Settings) -> None:
    async with serving(settings) as http:
        created = await http.post(
            "/fhir/Patient",
            json=make_patient(),
            headers={**FHIR_JSON, "Host": "localhost:8080", "X-Forwarded-Proto": "https"},
        )

    assert created.headers["location"].startswith("http://localhost:8080/fhir/Patient/")


async def test_forwarded_proto_is_honoured_from_a_trusted_proxy(settings: Settings) -> None:
    async with serving(settings, forwarded_allow_ips=("127.0.0.1",)) as http:
        created = await http.post(
            "/fhir/Patient",
            json=make_patient(),
            headers={**FHIR_JSON, "Host": "localhost:8080", "X-Forwarded-Proto": "https"},
        )

    assert created.headers["location"].startswith("https://localhost:8080/fhir/Patient/")


async def test_forwarded_headers_do_not_bypass_the_host_rule(settings: Settings) -> None:
    async with serving(settings, forwarded_allow_ips=("127.0.0.1",)) as http:
        response = await http.get(
            "/fhir/metadata",
            headers={"Host": "evil.example", "X-Forwarded-Host": "localhost:8080"},
        )

    assert response.status_code == 400


def test_host_lists_read_from_the_environment_are_comma_separated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FHIRPORT_ALLOWED_HOSTS", "fhir.ward.example, 10.1.2.3:8080")
    monkeypatch.setenv("FHIRPORT_FORWARDED_ALLOW_IPS", "10.0.0.0/8")

    settings = Settings()

    assert settings.allowed_hosts == ("fhir.ward.example", "10.1.2.3:8080")
    assert settings.forwarded_allow_ips == ("10.0.0.0/8",)

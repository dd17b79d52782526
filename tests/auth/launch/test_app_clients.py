"""``fhirport clients add NAME --redirect-uri URL [--public] [--launch-url URL]``: SMART apps."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from server.cli import main

APP_SCOPE = "launch launch/patient openid fhirUser offline_access patient/*.rs user/*.rs"


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


def test_a_public_app_is_added_and_listed(url: str) -> None:
    added = _run(
        "clients", "add", "growth-chart", "--public", "--scope", APP_SCOPE,
        "--redirect-uri", "https://app.example/callback",
        "--redirect-uri", "http://localhost:9000/cb",
        "--launch-url", "https://app.example/launch", "--store", url,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = orjson.loads(added.output)
    assert shown["token_endpoint_auth_method"] == "none"
    assert shown["redirect_uris"] == ["https://app.example/callback", "http://localhost:9000/cb"]
    assert shown["launch_url"] == "https://app.example/launch"
    assert shown["scope"] == APP_SCOPE
    assert "client_secret" not in shown
    listed = orjson.loads(_run("clients", "list", "--store", url).output)
    assert listed == [shown]


def test_a_confidential_app_gets_a_secret(url: str) -> None:
    added = _run(
        "clients", "add", "portal", "--secret", "--scope", "openid fhirUser user/*.rs",
        "--redirect-uri", "https://portal.example/cb", "--store", url,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = orjson.loads(added.output)
    assert shown["token_endpoint_auth_method"] == "client_secret_basic"
    assert shown["client_secret"]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--public", "--scope", "patient/*.rs"], id="public-without-redirect"),
        pytest.param(
            ["--public", "--secret", "--redirect-uri", "https://a.example/cb", "--scope", "openid"],
            id="public-with-secret",
        ),
        pytest.param(
            ["--public", "--redirect-uri", "http://a.example/cb", "--scope", "openid"],
            id="plain-http-off-loopback",
        ),
        pytest.param(
            ["--public", "--redirect-uri", "https://a.example/cb#x", "--scope", "openid"],
            id="fragment",
        ),
        pytest.param(
            ["--public", "--redirect-uri", "/cb", "--scope", "openid"], id="relative-redirect"
        ),
        pytest.param(
            ["--public", "--redirect-uri", "https://a.example/cb", "--scope", "system/*.rs"],
            id="public-system-scope",
        ),
        pytest.param(
            ["--public", "--redirect-uri", "https://a.example/cb", "--scope", "patient/*.rs nope"],
            id="unknown-scope",
        ),
        pytest.param(["--secret", "--scope", "launch/patient"], id="backend-with-app-scope"),
        pytest.param(
            ["--secret", "--scope", "system/*.rs", "--launch-url", "https://a.example/l"],
            id="launch-url-without-redirect",
        ),
    ],
)
def test_bad_apps_are_refused(url: str, args: list[str]) -> None:
    added = _run("clients", "add", "x", *args, "--store", url)
    assert added.exit_code == 2, added.output
    assert orjson.loads(_run("clients", "list", "--store", url).output) == []

"""``fhirport serve --auth none`` only on loopback addresses; ``smart`` is the default."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from server.cli import main
from server.settings import Settings
from tests.e2e.server_process import running_server


def test_access_control_is_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FHIRPORT_AUTH", raising=False)
    assert Settings().auth == "smart"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "fhir.example.org"])
def test_auth_none_beyond_loopback_is_refused(host: str) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--auth", "none", "--host", host, "--store", "memory://"]
    )
    assert result.exit_code == 2, result.output
    assert "--auth none" in result.output
    assert "loopback" in result.output
    assert "Traceback" not in result.output


def test_auth_none_from_the_environment_is_refused_too() -> None:
    result = CliRunner().invoke(
        main,
        ["serve", "--store", "memory://"],
        env={"FHIRPORT_AUTH": "none", "FHIRPORT_HOST": "0.0.0.0"},
    )
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_hosts_pass_the_check(host: str) -> None:
    from server.auth.exposure import unsecured_exposure

    assert unsecured_exposure(Settings(auth="none", host=host)) is None


def test_a_served_smart_server_challenges_and_publishes_metadata(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'smart.sqlite3'}"
    with running_server(store, "--auth", "smart") as base:
        assert httpx.get(f"{base}/metadata", timeout=5).status_code == 200
        refused = httpx.get(f"{base}/Patient", timeout=5)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="fhirport"'

"""The real server: a foreign Host is refused, and X-Forwarded-Proto needs a listed proxy."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient
from tests.e2e.server_process import running_server

pytestmark = pytest.mark.slow

FORWARDED_HTTPS = {**FHIR_JSON, "X-Forwarded-Proto": "https"}


def test_foreign_host_is_refused_and_loopback_proxy_headers_are_not_believed(
    tmp_path: Path,
) -> None:
    with running_server(f"sqlite:///{tmp_path / 'hosts.sqlite3'}") as base:
        foreign = httpx.get(f"{base}/metadata", headers={"Host": "evil.example"})
        created = httpx.post(f"{base}/Patient", json=make_patient(), headers=FORWARDED_HTTPS)

    assert foreign.status_code == 400
    assert foreign.json()["issue"][0]["expression"] == ["Host"]
    assert created.status_code == 201
    assert created.headers["location"].startswith(f"{base}/Patient/")


def test_a_listed_proxy_sets_the_scheme(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'proxy.sqlite3'}"
    with running_server(store, "--forwarded-allow-ips", "127.0.0.1") as base:
        created = httpx.post(f"{base}/Patient", json=make_patient(), headers=FORWARDED_HTTPS)

    assert created.headers["location"].startswith(base.replace("http://", "https://") + "/Patient/")

"""``fhirport clients add/list/remove`` and ``fhirport keys rotate`` on a store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result
from joserfc.jwk import ECKey

from server.cli import main
from server.storage.auth_port import SigningKeyRecord
from server.storage.factory import open_auth_records, store_from_url
from tests.auth.tokens import write_jwks


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


def test_a_secret_client_is_added_listed_and_removed(sqlite_url: str) -> None:
    added = _run(
        "clients", "add", "billing", "--scope", "system/Patient.rs  system/Claim.rs",
        "--secret", "--store", sqlite_url,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = orjson.loads(added.output)
    assert shown["name"] == "billing"
    assert shown["scope"] == "system/Patient.rs system/Claim.rs"
    assert shown["token_endpoint_auth_method"] == "client_secret_basic"
    assert len(shown["client_secret"]) >= 40

    listed = orjson.loads(_run("clients", "list", "--store", sqlite_url).output)
    assert [c["client_id"] for c in listed] == [shown["client_id"]]
    assert "client_secret" not in listed[0]
    assert shown["client_secret"] not in Path(sqlite_url.removeprefix("sqlite:///")).read_text(
        errors="replace"
    )

    removed = _run("clients", "remove", shown["client_id"], "--store", sqlite_url)
    assert removed.exit_code == 0
    assert orjson.loads(_run("clients", "list", "--store", sqlite_url).output) == []
    again = _run("clients", "remove", shown["client_id"], "--store", sqlite_url)
    assert again.exit_code == 1


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_a_key_client_is_added(kind: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}" if kind == "sqlite" else "memory://"
    jwks = write_jwks(tmp_path / "client.json")
    added = _run("clients", "add", "etl", "--scope", "system/*.rs", "--jwks", str(jwks),
                 "--store", url)  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = orjson.loads(added.output)
    assert shown["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--scope", "patient/*.rs", "--secret"], "system/", id="patient-scope"),
        pytest.param(["--scope", "nonsense", "--secret"], "system/", id="bad-scope"),
        pytest.param(["--scope", "system/*.rs"], "exactly one", id="no-method"),
        pytest.param(
            ["--scope", "system/*.rs", "--secret", "--jwks-url", "https://a.example/jwks"],
            "exactly one",
            id="two-methods",
        ),
        pytest.param(
            ["--scope", "system/*.rs", "--jwks-url", "http://a.example/jwks"],
            "https",
            id="plain-http-url",
        ),
    ],
)
def test_a_bad_registration_is_refused(sqlite_url: str, args: list[str], message: str) -> None:
    result = _run("clients", "add", "x", *args, "--store", sqlite_url)
    assert result.exit_code == 2
    assert message in result.output


def test_a_private_jwks_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    private = tmp_path / "private.json"
    key = ECKey.generate_key("P-256", parameters={"kid": "k"}, private=True)
    private.write_bytes(orjson.dumps({"keys": [key.as_dict(private=True)]}))
    result = _run("clients", "add", "x", "--scope", "system/*.rs", "--jwks", str(private),
                  "--store", sqlite_url)  # fmt: skip
    assert result.exit_code == 2
    assert "private" in result.output


async def _signing_keys(url: str) -> list[SigningKeyRecord]:
    store = store_from_url(url)
    await store.open()
    try:
        return await (await open_auth_records(store)).signing_keys()
    finally:
        await store.close()


def test_keys_rotate_adds_a_key(sqlite_url: str) -> None:
    first = _run("keys", "rotate", "--store", sqlite_url)
    second = _run("keys", "rotate", "--store", sqlite_url)
    assert first.exit_code == second.exit_code == 0
    kept = asyncio.run(_signing_keys(sqlite_url))
    assert [f"New signing key {k.kid}\n" for k in kept] == [first.output, second.output]


def test_keys_rotate_adds_an_id_token_key(sqlite_url: str) -> None:
    rotated = _run("keys", "rotate", "--algorithm", "RS256", "--store", sqlite_url)
    assert rotated.exit_code == 0, rotated.output
    (kept,) = asyncio.run(_signing_keys(sqlite_url))
    assert orjson.loads(kept.private_jwk)["alg"] == "RS256"
    assert _run("keys", "rotate", "--algorithm", "HS256", "--store", sqlite_url).exit_code == 2


def test_an_app_may_be_registered_for_es256_id_tokens(sqlite_url: str) -> None:
    added = _run(
        "clients", "add", "es-app", "--public", "--redirect-uri", "https://app.example/cb",
        "--scope", "openid user/*.rs", "--id-token-alg", "ES256", "--store", sqlite_url,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert orjson.loads(added.output)["id_token_signed_response_alg"] == "ES256"
    listed = orjson.loads(_run("clients", "list", "--store", sqlite_url).output)
    assert listed[0]["id_token_signed_response_alg"] == "ES256"


def test_serve_refuses_an_external_issuer_without_its_keys() -> None:
    result = _run("serve", "--auth-issuer", "https://issuer.example", "--store", "memory://")
    assert result.exit_code == 2
    assert "--auth-jwks" in result.output

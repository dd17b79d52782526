"""Bearer token verification against an external issuer (a JWKS file): every refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from pathlib import Path

import orjson
import pytest
from joserfc.jwk import ECKey, RSAKey

from server.auth.issuers import external_issuer
from server.auth.jwks import JwksKeys
from server.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer
from tests.auth.tokens import AUDIENCE, ISSUER, KEY, Clock, auth_settings, issue, sign, write_jwks

pytestmark = pytest.mark.anyio


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(tmp_path: Path, clock: Clock) -> TokenVerifier:
    settings = auth_settings(tmp_path)
    trusted = external_issuer(
        settings["auth_issuer"], settings["auth_jwks"], settings["auth_audience"], ()
    )
    return TokenVerifier([trusted], clock=clock)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "client_id": "c1",
        "scope": "system/*.rs",
        "exp": now + 300,
    }
    claims.update(overrides)
    return claims


async def test_a_valid_token_says_who_and_what(verifier: TokenVerifier) -> None:
    token = issue("patient/*.rs", patient="p1", fhir_user="Practitioner/d1", client_id="app")
    claims = await verifier.verify(token)
    assert (claims.client_id, claims.scope, claims.patient, claims.fhir_user) == (
        "app",
        "patient/*.rs",
        "p1",
        "Practitioner/d1",
    )
    assert claims.issuer == ISSUER


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        pytest.param({"azp": "from-azp", "sub": "s"}, "from-azp", id="azp"),
        pytest.param({"sub": "from-sub"}, "from-sub", id="sub"),
    ],
)
async def test_the_client_is_client_id_else_azp_else_sub(
    verifier: TokenVerifier, field: dict[str, str], expected: str
) -> None:
    payload = _claims(**field)
    del payload["client_id"]
    token = sign(payload)
    assert (await verifier.verify(token)).client_id == expected


async def test_a_token_that_audiences_a_list_including_ours_passes(verifier: TokenVerifier) -> None:
    token = sign(_claims(aud=["https://other.example", AUDIENCE]))
    assert (await verifier.verify(token)).client_id == "c1"


async def test_skew_up_to_a_minute_is_tolerated(verifier: TokenVerifier) -> None:
    now = int(time.time())
    token = sign(_claims(exp=now - 30, nbf=now + 30))
    assert (await verifier.verify(token)).client_id == "c1"


def _alg_none() -> str:
    header = _b64(orjson.dumps({"alg": "none", "kid": KEY.kid}))
    return f"{header}.{_b64(orjson.dumps(_claims()))}."


def _tampered() -> str:
    header, _payload, signature = issue("system/Patient.rs").split(".")
    forged = _b64(orjson.dumps(_claims(scope="system/*.*")))
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: sign(_claims(exp=int(time.time()) - 61)), id="expired"),
        pytest.param(lambda: sign(_claims(nbf=int(time.time()) + 120)), id="not-yet-valid"),
        pytest.param(lambda: sign(_claims(aud="https://elsewhere.example/fhir")), id="wrong-aud"),
        pytest.param(lambda: sign(_claims(iss="https://evil.example")), id="wrong-iss"),
        pytest.param(lambda: sign(_claims(exp=None)), id="no-exp"),
        pytest.param(lambda: sign(_claims(client_id=None)), id="no-client"),
        pytest.param(_alg_none, id="alg-none"),
        pytest.param(_tampered, id="tampered-payload"),
        pytest.param(
            lambda: sign(_claims(), header={"kid": "no-such-key"}),
            id="unknown-kid",
        ),
        pytest.param(
            lambda: sign(_claims(), key=ECKey.generate_key("P-256", parameters={"kid": KEY.kid})),
            id="other-key-same-kid",
        ),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
        pytest.param(lambda: "", id="empty"),
        pytest.param(lambda: "é.é.é", id="non-ascii"),
    ],
)
async def test_refused(verifier: TokenVerifier, token: object) -> None:
    assert callable(token)
    with pytest.raises(InvalidToken):
        await verifier.verify(token())


async def test_hs256_signed_with_the_public_key_is_refused(tmp_path: Path) -> None:
    rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)
    write_jwks(tmp_path / "rsa.json", rsa)
    trusted = external_issuer(ISSUER, str(tmp_path / "rsa.json"), AUDIENCE, ())
    verifier = TokenVerifier([trusted])
    assert (await verifier.verify(sign(_claims(), key=rsa, algorithm="RS256"))).client_id == "c1"
    secret = rsa.as_pem(private=False)
    header = _b64(orjson.dumps({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}))
    body = f"{header}.{_b64(orjson.dumps(_claims()))}"
    forged = f"{body}.{_b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())}"
    with pytest.raises(InvalidToken, match="HS256"):
        await verifier.verify(forged)


async def test_a_remembered_token_is_refused_once_it_expires(
    verifier: TokenVerifier, clock: Clock
) -> None:
    token = sign(_claims(exp=int(clock.now) + 10))
    await verifier.verify(token)
    clock.now += 10 + 61
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(token)


async def test_an_unknown_kid_rereads_the_jwks_at_most_once_a_minute(tmp_path: Path) -> None:
    clock = Clock()
    path = write_jwks(tmp_path / "jwks.json")
    keys = JwksKeys(str(path), clock=clock)
    verifier = TokenVerifier(
        [TrustedIssuer(keys, ISSUER.__eq__, lambda _issuer: {AUDIENCE})], clock=clock
    )
    await verifier.verify(sign(_claims()))  # the set is read
    rotated = ECKey.generate_key("P-256", parameters={"kid": "rotated"}, private=True)
    write_jwks(path, KEY, rotated)
    token = sign(_claims(), key=rotated)
    clock.now += 30
    with pytest.raises(InvalidToken, match="no key"):
        await verifier.verify(token)  # read less than a minute ago: not read again
    clock.now += 31
    assert (await verifier.verify(token)).client_id == "c1"


async def test_an_unreadable_jwks_keeps_the_keys_known(tmp_path: Path) -> None:
    clock = Clock()
    path = write_jwks(tmp_path / "jwks.json")
    keys = JwksKeys(str(path), clock=clock)
    assert await keys.key(KEY.kid or "") is not None
    path.write_text("{not json")
    clock.now += 61
    assert await keys.key("unknown") is None
    assert await keys.key(KEY.kid or "") is not None


async def test_the_memory_of_verified_tokens_is_bounded(
    verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("server.auth.tokens.CACHE_SIZE", 3)
    tokens = [sign(_claims(jti=str(n))) for n in range(5)]
    for token in tokens:
        await verifier.verify(token)
    assert list(verifier._verified) == tokens[2:]

"""Refresh tokens (rotation, reuse detection, revocation), Patient users, and the console client."""

from __future__ import annotations

from typing import Any

import pytest

from server.auth.console_client import CONSOLE_CLIENT_ID, CONSOLE_REDIRECT_PATH, CONSOLE_SCOPE
from server.auth.id_tokens import unverified_claims
from tests.auth.launch.flow import (
    AUTHORIZE_URL,
    FHIR_BASE,
    ROOT,
    TOKEN_URL,
    LaunchApp,
    query_of,
    redirected_to,
)

pytestmark = pytest.mark.anyio
VERIFIER = "r" * 60


async def _tokens(served: LaunchApp, scope: str, username: str = "drho") -> dict[str, Any]:
    async with served.oauth(scope=scope) as oauth, served.browser() as browser:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        page = await browser.sign_in(await browser.open(url), username)
        back = redirected_to(await browser.approve(page))
        token: dict[str, Any] = dict(
            await oauth.fetch_token(TOKEN_URL, authorization_response=back, code_verifier=VERIFIER)
        )
        return token


async def _refresh(served: LaunchApp, refresh_token: str) -> Any:
    return await served.http.post(
        TOKEN_URL,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": served.client_id,
        },
    )


async def test_a_refresh_token_rotates_and_its_reuse_revokes_the_family(
    served: LaunchApp,
) -> None:
    first = await _tokens(served, "openid fhirUser user/*.rs offline_access")
    renewed = await _refresh(served, first["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == first["scope"]
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await served.http.get("/fhir/Patient/pat3", headers=headers)).status_code == 200

    stolen = await _refresh(served, first["refresh_token"])  # the rotated one, again
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    # Both holders are cut off: the latest token of the family is revoked too.
    assert (await _refresh(served, second["refresh_token"])).json()["error"] == "invalid_grant"


async def test_a_refresh_may_narrow_the_scopes_but_not_widen_them(served: LaunchApp) -> None:
    token = await _tokens(served, "user/Patient.rs user/Practitioner.rs online_access")
    wider = await served.http.post(
        TOKEN_URL,
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": served.client_id,
            "scope": "user/*.cruds",
        },
    )
    assert wider.json()["error"] == "invalid_scope"
    narrower = await served.http.post(
        TOKEN_URL,
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": served.client_id,
            "scope": "user/Patient.rs",
        },
    )
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "user/Patient.rs"


async def test_no_refresh_token_without_offline_or_online_access(served: LaunchApp) -> None:
    token = await _tokens(served, "openid user/*.rs")
    assert "refresh_token" not in token


async def test_a_revoked_refresh_token_is_dead_and_introspects_inactive(
    served: LaunchApp,
) -> None:
    token = await _tokens(served, "user/*.rs offline_access")
    form = {"token": token["refresh_token"], "client_id": served.client_id}
    active = (await served.http.post("/auth/introspect", data=form)).json()
    assert active["active"] is True
    assert active["client_id"] == served.client_id
    revoked = await served.http.post("/auth/revoke", data=form)
    assert revoked.status_code == 200
    assert (await served.http.post("/auth/introspect", data=form)).json() == {"active": False}
    assert (await _refresh(served, token["refresh_token"])).json()["error"] == "invalid_grant"


async def test_a_patient_user_sees_only_their_own_record(served: LaunchApp) -> None:
    token = await _tokens(
        served, "launch/patient openid fhirUser patient/*.rs user/*.rs", username="pat"
    )
    assert token["patient"] == "pat1"
    assert set(token["scope"].split()) == {"launch/patient", "openid", "fhirUser", "patient/*.rs"}
    assert unverified_claims(token["id_token"])["fhirUser"] == FHIR_BASE + "/Patient/pat1"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await served.http.get("/fhir/Patient/pat1", headers=headers)).status_code == 200
    assert (await served.http.get("/fhir/Patient/pat2", headers=headers)).status_code == 404
    found = (await served.http.get("/fhir/Patient", headers=headers)).json()
    assert [e["resource"]["id"] for e in found["entry"]] == ["pat1"]
    by_name = (await served.http.get("/fhir/Patient?name=smith", headers=headers)).json()
    assert [e["resource"]["id"] for e in by_name["entry"]] == ["pat1"]
    write = await served.http.put(
        "/fhir/Patient/pat1",
        json={"resourceType": "Patient", "id": "pat1"},
        headers={**headers, "Content-Type": "application/fhir+json"},
    )
    assert write.status_code == 403


async def test_the_console_signs_in_without_an_approval_page(served: LaunchApp) -> None:
    redirect_uri = ROOT + CONSOLE_REDIRECT_PATH
    async with (
        served.oauth(CONSOLE_CLIENT_ID, scope=CONSOLE_SCOPE, redirect_uri=redirect_uri) as oauth,
        served.browser() as browser,
    ):
        url, state = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        signed_in = await browser.sign_in(await browser.open(url), "drho")
        back = redirected_to(signed_in)
        assert back.startswith(redirect_uri + "?")
        assert query_of(back)["state"] == state
        token = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier=VERIFIER
        )
    assert token["scope"] == "openid fhirUser online_access user/*.cruds"
    assert token["refresh_token"]
    elsewhere = await served.http.get(
        AUTHORIZE_URL,
        params={"client_id": CONSOLE_CLIENT_ID, "redirect_uri": "https://evil.example/signed-in"},
    )
    assert elsewhere.status_code == 400
    assert "location" not in elsewhere.headers

"""Standalone launch end to end: Authlib's client, the sign-in, picker and approval pages."""

from __future__ import annotations

import pytest
from joserfc import jwt

from tests.auth.launch.flow import (
    AUTHORIZE_URL,
    FHIR_BASE,
    REDIRECT_URI,
    TOKEN_URL,
    LaunchApp,
    query_of,
    redirected_to,
)

pytestmark = pytest.mark.anyio


async def test_a_practitioner_picks_a_patient_and_the_app_reads_only_that_record(
    served: LaunchApp,
) -> None:
    scope = "launch/patient openid fhirUser patient/*.rs offline_access"
    async with served.oauth(scope=scope) as oauth, served.browser() as browser:
        verifier = "v" * 64
        url, state = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=verifier, aud=FHIR_BASE, nonce="n-0S6"
        )
        sign_in = await browser.open(url)
        assert sign_in.status_code == 200
        assert 'for="username"' in sign_in.text
        assert 'for="password"' in sign_in.text
        assert "growth-chart" in sign_in.text

        picker = await browser.sign_in(sign_in, "drho")
        assert picker.status_code == 200, picker.text
        found = await browser.get("/auth/pick-patient", params={"name": "smith"})
        assert "Smith" in found.text
        assert "Smithers" in found.text
        assert "Jones" not in found.text

        approval = await browser.pick(found, "pat2")
        assert approval.status_code == 200, approval.text
        for asked in scope.split():  # each scope's exact string, explained
            assert f"<code>{asked}</code>" in approval.text
        assert "Smithers" in approval.text

        back = redirected_to(await browser.approve(approval))
        assert back.startswith(REDIRECT_URI + "?")
        assert query_of(back)["state"] == state

        token = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier=verifier
        )
    assert token["patient"] == "pat2"
    assert token["token_type"].lower() == "bearer"
    assert set(token["scope"].split()) == set(scope.split())
    assert token["refresh_token"]
    id_claims = jwt.decode(token["id_token"], await served.runtime.token_service.keys.key_set())
    assert id_claims.claims["fhirUser"] == FHIR_BASE + "/Practitioner/p1"
    assert id_claims.claims["aud"] == served.client_id
    assert id_claims.claims["nonce"] == "n-0S6"
    assert id_claims.claims["sub"] == "drho"

    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await served.http.get("/fhir/Patient/pat2", headers=headers)).status_code == 200
    assert (await served.http.get("/fhir/Patient/pat1", headers=headers)).status_code == 404
    listed = (await served.http.get("/fhir/Patient", headers=headers)).json()
    assert [e["resource"]["id"] for e in listed.get("entry", [])] == ["pat2"]


async def test_the_user_can_deny(served: LaunchApp) -> None:
    async with served.oauth(scope="openid fhirUser user/*.rs") as oauth, served.browser() as b:
        url, state = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier="w" * 50, aud=FHIR_BASE
        )
        approval = await b.sign_in(await b.open(url), "drho")
        back = redirected_to(await b.approve(approval, "deny"))
    answer = query_of(back)
    assert (answer["error"], answer["state"]) == ("access_denied", state)


async def test_a_practitioner_gets_user_scopes_without_a_patient(served: LaunchApp) -> None:
    async with served.oauth(scope="openid fhirUser user/*.rs patient/*.rs") as oauth:
        async with served.browser() as b:
            url, _ = oauth.create_authorization_url(
                AUTHORIZE_URL, code_verifier="x" * 43, aud=FHIR_BASE
            )
            approval = await b.sign_in(await b.open(url), "drho")
            back = redirected_to(await b.approve(approval))
        token = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier="x" * 43
        )
    # No patient was chosen, so patient/ scopes have nobody to speak for.
    assert token["scope"] == "openid fhirUser user/*.rs"
    assert "patient" not in token
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    listed = (await served.http.get("/fhir/Patient", headers=headers)).json()
    assert len(listed["entry"]) == 3

"""EHR launch (POST /auth/launch), discovery, introspection, and the sign-ins' AuditEvents."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.auth.launch_contexts import launch_href
from tests.auth.launch.flow import (
    ADMIN,
    AUTHORIZE_URL,
    FHIR_BASE,
    ROOT,
    TOKEN_URL,
    LaunchApp,
    bearer,
    launch_app,
    query_of,
    redirected_to,
)
from tests.auth.tokens import issue

pytestmark = pytest.mark.anyio
VERIFIER = "e" * 64


async def _launch(served: LaunchApp, patient: str, token: str | None = None) -> str:
    headers = {"Authorization": f"Bearer {token or issue('user/Patient.rs')}"}
    answer = await served.http.post("/auth/launch", data={"patient": patient}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["patient"] == patient
    assert body["expires_in"] == 300
    launch: str = body["launch"]
    return launch


async def test_an_ehr_launch_puts_its_patient_in_the_token(served: LaunchApp) -> None:
    launch = await _launch(served, "pat3")
    href = launch_href("https://app.example/launch", iss=FHIR_BASE, launch=launch)
    assert query_of(href) == {"iss": FHIR_BASE, "launch": launch}
    apps = await served.runtime.token_service.launches.apps()
    assert [(a.client_id, a.launch_url) for a in apps] == [
        (served.client_id, "https://app.example/launch")
    ]

    scope = "launch openid fhirUser patient/*.rs"
    async with served.oauth(scope=scope) as oauth, served.browser() as browser:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE, launch=launch
        )
        # No picker: the launch says which patient.
        approval = await browser.sign_in(await browser.open(url), "drho")
        assert "Jones" in approval.text
        back = redirected_to(await browser.approve(approval))
        token = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier=VERIFIER
        )
    assert token["patient"] == "pat3"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await served.http.get("/fhir/Patient/pat3", headers=headers)).status_code == 200
    assert (await served.http.get("/fhir/Patient/pat1", headers=headers)).status_code == 404


async def test_a_patient_user_cannot_take_a_launch_for_someone_else(served: LaunchApp) -> None:
    launch = await _launch(served, "pat3")
    async with served.oauth(scope="launch patient/*.rs") as oauth, served.browser() as browser:
        url, state = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE, launch=launch
        )
        back = redirected_to(await browser.sign_in(await browser.open(url), "pat"))
    assert query_of(back)["error"] == "access_denied"
    assert query_of(back)["state"] == state


@pytest.mark.parametrize(
    ("patient", "token", "status"),
    [
        pytest.param("nobody", "user/Patient.rs", 404, id="unknown-patient"),
        pytest.param("bad id!", "user/Patient.rs", 400, id="malformed"),
        pytest.param("pat1", "user/Observation.rs", 403, id="cannot-read-patients"),
        pytest.param("pat2", None, 401, id="no-token"),
    ],
)
async def test_a_launch_needs_a_patient_the_caller_may_read(
    served: LaunchApp, patient: str, token: str | None, status: int
) -> None:
    headers = {"Authorization": f"Bearer {issue(token)}"} if token else {}
    answer = await served.http.post("/auth/launch", data={"patient": patient}, headers=headers)
    assert answer.status_code == status, answer.text


async def test_a_launch_request_that_is_not_a_form_is_a_400(served: LaunchApp) -> None:
    headers = {"Authorization": f"Bearer {issue('user/Patient.rs')}"}
    answer = await served.http.post("/auth/launch", json={"patient": "pat1"}, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["resourceType"] == "OperationOutcome"
    by_reference = await served.http.post(
        "/auth/launch", data={"patient": "Patient/pat1"}, headers=headers
    )
    assert by_reference.json()["patient"] == "pat1"


async def test_discovery_announces_the_app_launch(served: LaunchApp) -> None:
    for path in ("/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"):
        document = (await served.http.get(path)).json()
        assert document["authorization_endpoint"] == ROOT + "/auth/authorize"
        assert document["introspection_endpoint"] == ROOT + "/auth/introspect"
        assert document["revocation_endpoint"] == ROOT + "/auth/revoke"
        assert document["code_challenge_methods_supported"] == ["S256"]
        assert {"authorization_code", "refresh_token"} <= set(document["grant_types_supported"])
        assert {
            "launch-ehr",
            "launch-standalone",
            "context-ehr-patient",
            "context-standalone-patient",
            "client-public",
            "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "sso-openid-connect",
            "permission-v1",
            "permission-v2",
        } <= set(document["capabilities"])
    openid = (await served.http.get("/.well-known/openid-configuration")).json()
    assert openid["issuer"] == ROOT
    assert openid["jwks_uri"] == ROOT + "/auth/jwks"


async def test_introspection_of_an_access_token(served: LaunchApp) -> None:
    from server.auth.clients import register_client
    from server.storage.factory import open_auth_records

    records = await open_auth_records(served.runtime.store)
    backend, secret = await register_client(records, "resource-server", "system/*.rs", secret=True)
    assert secret is not None
    async with served.oauth(scope="user/*.rs fhirUser") as oauth, served.browser() as browser:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        approval = await browser.sign_in(await browser.open(url), "drho")
        back = redirected_to(await browser.approve(approval))
        token = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier=VERIFIER
        )
    form = {"token": token["access_token"]}
    auth = (backend.client_id, secret)
    answer = (await served.http.post("/auth/introspect", data=form, auth=auth)).json()
    assert answer["active"] is True
    assert answer["scope"] == "user/*.rs fhirUser"
    assert answer["client_id"] == served.client_id
    assert answer["fhirUser"] == FHIR_BASE + "/Practitioner/p1"
    assert answer["sub"] == "drho"
    junk = (await served.http.post("/auth/introspect", data={"token": "junk"}, auth=auth)).json()
    assert junk == {"active": False}
    unauthenticated = await served.http.post("/auth/introspect", data=form)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"] == "invalid_client"


async def test_sign_ins_and_user_tokens_leave_audit_events(store_url: str, tmp_path: Path) -> None:
    async with launch_app(store_url, tmp_path, audit="all") as served:
        async with served.oauth(scope="user/*.rs") as oauth, served.browser() as browser:
            url, _ = oauth.create_authorization_url(
                AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
            )
            page = await browser.open(url)
            page = await browser.sign_in(page, "drho", "not the password")
            approval = await browser.sign_in(page, "drho")
            back = redirected_to(await browser.approve(approval))
            await oauth.fetch_token(TOKEN_URL, authorization_response=back, code_verifier=VERIFIER)
        await served.runtime.audit.flush()
        found = await served.http.get(
            "/fhir/AuditEvent", params={"subtype": "110122"}, headers=bearer(ADMIN)
        )
    events = [entry["resource"] for entry in found.json()["entry"]]
    outcomes = sorted(e["outcome"] for e in events)
    assert outcomes == ["0", "0", "4"]  # two sign-ins, one refused; one token request
    users = [
        agent["who"].get("reference")
        for event in events
        for agent in event["agent"]
        if event["outcome"] == "0"
    ]
    assert "Practitioner/p1" in " ".join(str(u) for u in users)
    clients = {
        agent["who"]["identifier"]["value"]
        for event in events
        for agent in event["agent"]
        if "identifier" in agent.get("who", {})
    }
    assert served.client_id in clients

"""Every authorization server endpoint that acts for someone leaves one AuditEvent.

Introspection (IUA ITI-102), revocation and sign-out (DICOM Logout), the EHR launch (a
FHIR operation on the patient), a sign-in kept from an earlier one (single sign-on,
DICOM Login) and the patient picker's search: each names the calling client, and the
outcome follows the answer's status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.auth.clients import register_client
from server.storage.factory import open_auth_records
from tests.auth.launch.flow import (
    ADMIN,
    AUTHORIZE_URL,
    FHIR_BASE,
    TOKEN_URL,
    Browser,
    LaunchApp,
    bearer,
    launch_app,
    redirected_to,
)
from tests.auth.tokens import issue

pytestmark = pytest.mark.anyio
VERIFIER = "a" * 60


@pytest.fixture
async def audited(store_url: str, tmp_path: Path) -> AsyncIterator[LaunchApp]:
    async with launch_app(store_url, tmp_path, audit="all") as served:
        yield served


async def _events(served: LaunchApp, **params: str) -> list[dict[str, Any]]:
    await served.runtime.audit.flush()
    found = await served.http.get("/fhir/AuditEvent", params=params, headers=bearer(ADMIN))
    assert found.status_code == 200, found.text
    return [entry["resource"] for entry in found.json().get("entry", [])]


def _clients(event: dict[str, Any]) -> list[str]:
    return [
        agent["who"]["identifier"]["value"]
        for agent in event["agent"]
        if "identifier" in agent.get("who", {})
    ]


def _users(event: dict[str, Any]) -> list[str]:
    return [str(agent["who"].get("reference")) for agent in event["agent"] if "who" in agent]


async def _signed_in(served: LaunchApp, browser: Browser, scope: str) -> dict[str, Any]:
    """Sign ``drho`` in through the public app and return the app's token."""
    async with served.oauth(scope=scope) as oauth:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        approval = await browser.sign_in(await browser.open(url), "drho")
        back = redirected_to(await browser.approve(approval))
        token: dict[str, Any] = await oauth.fetch_token(
            TOKEN_URL, authorization_response=back, code_verifier=VERIFIER
        )
    return token


async def test_introspection_is_audited_with_the_asking_client(audited: LaunchApp) -> None:
    records = await open_auth_records(audited.runtime.store)
    backend, secret = await register_client(records, "resource-server", "system/*.rs", secret=True)
    assert secret is not None
    token = issue("user/*.rs")
    ok = await audited.http.post(
        "/auth/introspect", data={"token": token}, auth=(backend.client_id, secret)
    )
    assert ok.status_code == 200
    refused = await audited.http.post(
        "/auth/introspect", data={"token": token}, auth=(backend.client_id, "wrong")
    )
    assert refused.status_code == 401

    events = await _events(audited, subtype="ITI-102")
    assert sorted(e["outcome"] for e in events) == ["0", "4"]
    for event in events:
        assert event["type"]["code"] == "110114"
        assert event["action"] == "E"
        assert _clients(event) == [backend.client_id]


async def test_revocation_is_audited_as_a_logout(audited: LaunchApp) -> None:
    async with audited.browser() as browser:
        token = await _signed_in(audited, browser, "offline_access user/*.rs")
    form = {"token": token["refresh_token"], "client_id": audited.client_id}
    assert (await audited.http.post("/auth/revoke", data=form)).status_code == 200
    unknown = {"token": "x", "client_id": "nobody"}
    assert (await audited.http.post("/auth/revoke", data=unknown)).status_code == 401

    events = await _events(audited, subtype="110123")
    assert sorted(e["outcome"] for e in events) == ["0", "4"]
    assert sorted(c for e in events for c in _clients(e)) == sorted([audited.client_id, "nobody"])
    assert all(e["type"]["code"] == "110114" for e in events)


async def test_sign_out_is_audited_as_the_users_logout(audited: LaunchApp) -> None:
    async with audited.browser() as browser:
        await _signed_in(audited, browser, "user/*.rs")
        assert (await browser.http.post("/auth/sign-out")).status_code == 200

    events = await _events(audited, subtype="110123")
    assert len(events) == 1
    assert events[0]["outcome"] == "0"
    assert any(u.endswith("Practitioner/p1") for u in _users(events[0]))


async def test_a_single_sign_on_is_audited_as_a_login(audited: LaunchApp) -> None:
    async with audited.browser() as browser, audited.oauth(scope="user/*.rs") as oauth:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        redirected_to(await browser.approve(await browser.sign_in(await browser.open(url), "drho")))
        again = await browser.open(url)  # signed in by the session: no password asked
        assert "Allow access?" in again.text

    logins = await _events(audited, subtype="110122", outcome="0")
    assert len(logins) == 2
    for login in logins:
        assert _clients(login) == [audited.client_id]
        assert any(u.endswith("Practitioner/p1") for u in _users(login))


async def test_an_ehr_launch_is_audited_on_its_patient(audited: LaunchApp) -> None:
    headers = {"Authorization": f"Bearer {issue('user/Patient.rs', client_id='ehr')}"}
    launched = await audited.http.post("/auth/launch", data={"patient": "pat3"}, headers=headers)
    assert launched.status_code == 200
    missing = await audited.http.post("/auth/launch", data={"patient": "gone"}, headers=headers)
    assert missing.status_code == 404
    anonymous = await audited.http.post("/auth/launch", data={"patient": "pat3"})
    assert anonymous.status_code == 401

    on_patient = await _events(audited, patient="Patient/pat3", subtype="operation")
    assert [(e["outcome"], _clients(e)) for e in on_patient] == [("0", ["ehr"])]
    all_launches = await _events(audited, subtype="operation")
    assert sorted(e["outcome"] for e in all_launches) == ["0", "4", "4"]


async def test_the_patient_pickers_search_is_audited(audited: LaunchApp) -> None:
    scope = "launch/patient patient/*.rs"
    async with audited.browser() as browser, audited.oauth(scope=scope) as oauth:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        picker = await browser.sign_in(await browser.open(url), "drho")
        found = await browser.get("/auth/pick-patient", params={"name": "Smith"})
        assert "Smithers" in found.text
        assert picker.status_code == 200

    searches = await _events(audited, patient="Patient/pat2", subtype="search-type")
    assert len(searches) == 1
    assert _clients(searches[0]) == [audited.client_id]
    assert any(u.endswith("Practitioner/p1") for u in _users(searches[0]))


async def test_a_sign_in_post_refused_before_any_password_is_audited(audited: LaunchApp) -> None:
    async with audited.browser() as browser, audited.oauth(scope="user/*.rs") as oauth:
        url, _ = oauth.create_authorization_url(
            AUTHORIZE_URL, code_verifier=VERIFIER, aud=FHIR_BASE
        )
        await browser.open(url)
        forged = {"csrf_token": "forged", "username": "drho", "password": "x"}
        assert (await browser.http.post("/auth/sign-in", data=forged)).status_code == 403

    refused = await _events(audited, subtype="110122")
    assert [e["outcome"] for e in refused] == ["4"]

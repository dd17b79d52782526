"""The authorization endpoint (RFC 6749 section 4.1, SMART App Launch 2.x): from an app's
request to the code it redeems.

``start`` checks the request in the order RFC 6749 section 4.1.2.1 asks: an unknown
client or a redirect URI that is not registered, exactly, is shown to the person as an
error page (``PageError``) and never redirected, since that would make the server an
open redirector; every later problem goes back to the app's redirect URI with
``error`` and ``state`` (``RedirectError``). A valid request becomes a ``Pending``
authorization kept in the store under a random id that only the browser holds (a
cookie), with a CSRF token for the forms of the pages that follow: sign in, pick a
patient when ``launch/patient`` is asked and none is in context, approve. ``finish``
turns it into a single-use code, bound to the client, the redirect URI and the PKCE
challenge, that lives ``CODE_LIFETIME`` seconds.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from server.auth.clients import redirect_uris
from server.auth.console_client import CONSOLE_CLIENT_ID, console_client
from server.auth.grants import Grant, Grants, new_value
from server.auth.launch_contexts import LaunchContexts
from server.auth.pkce import challenge_problem
from server.auth.user_scopes import registered_part, user_part
from server.storage.auth_port import AuthRecords, ClientRecord, UserRecord

PENDING = "authorize"
CODE = "code"
PENDING_LIFETIME = 15 * 60  # seconds to sign in and approve
CODE_LIFETIME = 60  # seconds; RFC 6749 section 4.1.2 recommends at most ten minutes
_SINGLE = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "aud",
    "code_challenge",
    "code_challenge_method",
    "launch",
    "nonce",
)


class PageError(Exception):
    """A request that is answered with an error page, not a redirect."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RedirectError(Exception):
    """An error for the app, sent to its (validated) redirect URI."""

    def __init__(self, redirect_uri: str, error: str, description: str, state: str | None) -> None:
        super().__init__(description)
        self.location = with_query(
            redirect_uri,
            {"error": error, "error_description": description, "state": state},
        )


def with_query(uri: str, params: dict[str, str | None]) -> str:
    """``uri`` with ``params`` (those not None) added to its query."""
    given = {name: value for name, value in params.items() if value is not None}
    return uri + ("&" if "?" in uri else "?") + urlencode(given)


@dataclass(slots=True)
class Pending:
    """An authorization request on its way through the pages."""

    client_id: str
    client_name: str
    redirect_uri: str
    scope: list[str]  # asked and covered by the registration
    code_challenge: str
    csrf: str
    state: str | None = None
    nonce: str | None = None
    launch_patient: str | None = None  # from an EHR launch
    console: bool = False  # the server's own console: no approval page
    username: str | None = None
    fhir_user: str | None = None
    patient: str | None = None
    auth_time: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def user_type(self) -> str | None:
        return self.fhir_user.partition("/")[0] if self.fhir_user else None

    def granted(self) -> list[str]:
        """What the app gets, once a user has signed in."""
        if self.user_type is None:
            return []
        return user_part(self.scope, self.user_type, has_patient=self.patient is not None)

    def next_step(self) -> str:
        """The page the person sees next: sign-in, pick-patient, approve, or done."""
        if self.fhir_user is None:
            return "sign-in"
        wants_patient = "launch/patient" in self.scope and self.patient is None
        if wants_patient and self.user_type == "Practitioner":
            return "pick-patient"
        return "done" if self.console else "approve"

    def denied(self, description: str = "The user did not allow the app access") -> str:
        return RedirectError(self.redirect_uri, "access_denied", description, self.state).location


class Authorizer:
    """Start, continue and finish authorizations on the store's grants."""

    def __init__(self, records: AuthRecords, grants: Grants, launches: LaunchContexts) -> None:
        self.records = records
        self.grants = grants
        self.launches = launches

    async def client(self, client_id: str, root: str) -> ClientRecord | None:
        """The app ``client_id`` names (the console included), or None."""
        if client_id == CONSOLE_CLIENT_ID:
            return console_client(root)
        return await self.records.client(client_id)

    async def start(
        self, query: Sequence[tuple[str, str]], *, root: str, fhir_base: str
    ) -> tuple[str, Pending]:
        """Check an authorization request; the id it is kept under, and what it asks."""
        params = dict(query)
        client_id = params.get("client_id")
        if not client_id:
            raise PageError("The app sent no client_id.")
        client = await self.client(client_id, root)
        if client is None or not client.redirect_uris:
            raise PageError("The app is not registered with this server.")
        redirect_uri = params.get("redirect_uri")
        if redirect_uri not in redirect_uris(client):
            raise PageError("The app asked to be answered at an address it did not register.")
        state = params.get("state")

        def refuse(error: str, description: str) -> RedirectError:
            return RedirectError(redirect_uri, error, description, state)

        names = [name for name, _ in query]
        if any(names.count(name) > 1 for name in _SINGLE):
            raise refuse("invalid_request", "A parameter is repeated")
        if params.get("response_type") != "code":
            raise refuse("unsupported_response_type", "Only response_type=code is supported")
        problem = challenge_problem(
            params.get("code_challenge"), params.get("code_challenge_method")
        )
        if problem is not None:
            raise refuse("invalid_request", problem)
        if params.get("aud", "").rstrip("/") != fhir_base.rstrip("/"):
            raise refuse("invalid_request", f"aud must be this server's FHIR base, {fhir_base}")
        allowed = registered_part(params.get("scope", ""), client.scope)
        if not allowed:
            raise refuse("invalid_scope", "None of the requested scopes is registered for the app")
        launch_patient = None
        launch = params.get("launch")
        if launch:
            context = await self.launches.resolve(launch)
            if context is None:
                raise refuse("invalid_request", "The launch is unknown or has expired")
            launch_patient = context.patient
        pending = Pending(
            client_id=client.client_id,
            client_name=client.name,
            redirect_uri=redirect_uri,
            scope=allowed,
            code_challenge=params["code_challenge"],
            csrf=secrets.token_urlsafe(32),
            state=state,
            nonce=params.get("nonce"),
            launch_patient=launch_patient,
            console=client.client_id == CONSOLE_CLIENT_ID,
        )
        request_id = await self.grants.issue(PENDING, asdict(pending), PENDING_LIFETIME)
        return request_id, pending

    async def pending(self, request_id: str | None) -> tuple[Grant, Pending] | None:
        """The authorization in progress under ``request_id``, if it is still open."""
        if not request_id:
            return None
        grant = await self.grants.find(PENDING, request_id)
        if grant is None or grant.record.used:
            return None
        return grant, Pending(**grant.payload)

    async def save(self, grant: Grant, pending: Pending) -> None:
        await self.grants.update(grant, asdict(pending))

    def signed_in(self, pending: Pending, user: UserRecord) -> str | None:
        """Put the user in the authorization; a redirect refusing it, if it must be refused."""
        pending.username = user.username
        pending.fhir_user = user.fhir_user
        pending.auth_time = int(time.time())
        user_type, _, user_id = user.fhir_user.partition("/")
        if user_type == "Patient":
            if pending.launch_patient not in (None, user_id):
                return pending.denied("The app was launched for another patient's record")
            pending.patient = user_id
        else:
            pending.patient = pending.launch_patient
        return None

    async def finish(self, grant: Grant, pending: Pending) -> str:
        """Issue the code and close the request; where the browser goes next."""
        if not await self.grants.close(grant):
            raise PageError("This authorization is complete already.", 409)
        code_payload = {
            "client_id": pending.client_id,
            "redirect_uri": pending.redirect_uri,
            "code_challenge": pending.code_challenge,
            "scope": " ".join(pending.granted()),
            "username": pending.username,
            "fhir_user": pending.fhir_user,
            "patient": pending.patient,
            "nonce": pending.nonce,
            "auth_time": pending.auth_time,
        }
        code = await self.grants.issue(CODE, code_payload, CODE_LIFETIME, family=new_value())
        return with_query(pending.redirect_uri, {"code": code, "state": pending.state})

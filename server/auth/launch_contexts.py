"""EHR launch: an opaque ``launch`` id that an app's authorization request resolves to a patient.

The EHR (the console's "launch app" on a patient's page) mints a launch id bound to
the patient it shows and opens the app's launch URL with ``iss`` (the FHIR base) and
``launch``; the app sends ``launch`` back in its authorization request with the
``launch`` scope, and its token carries that patient (SMART App Launch 2.x, app-launch
EHR launch). An id is usable until it expires, ``LAUNCH_LIFETIME`` after it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from server.auth.grants import Grants
from server.storage.auth_port import AuthRecords

LAUNCH = "launch"
LAUNCH_LIFETIME = 300  # seconds


@dataclass(frozen=True, slots=True)
class LaunchContext:
    """What a launch id stands for."""

    patient: str  # the Patient's id
    fhir_user: str | None = None  # who launched, when known ("Practitioner/7")


@dataclass(frozen=True, slots=True)
class LaunchableApp:
    """A registered app the EHR can launch."""

    client_id: str
    name: str
    launch_url: str


class LaunchContexts:
    """Mint and resolve launch ids; list the apps that can be launched."""

    def __init__(self, records: AuthRecords, grants: Grants) -> None:
        self.records = records
        self.grants = grants

    async def mint(self, patient: str, *, fhir_user: str | None = None) -> str:
        """A new launch id for ``patient`` (a bare Patient id)."""
        payload = {"patient": patient, "fhir_user": fhir_user}
        return await self.grants.issue(LAUNCH, payload, LAUNCH_LIFETIME)

    async def resolve(self, launch: str) -> LaunchContext | None:
        """The context of an unexpired launch id, or None."""
        grant = await self.grants.find(LAUNCH, launch)
        if grant is None:
            return None
        return LaunchContext(grant.payload["patient"], grant.payload.get("fhir_user"))

    async def apps(self) -> list[LaunchableApp]:
        """The apps registered with a launch URL, oldest first."""
        return [
            LaunchableApp(client.client_id, client.name, client.launch_url)
            for client in await self.records.clients()
            if client.launch_url
        ]


def launch_href(launch_url: str, *, iss: str, launch: str) -> str:
    """Where the EHR sends the browser to launch an app: its launch URL with iss and launch."""
    separator = "&" if "?" in launch_url else "?"
    return launch_url + separator + urlencode({"iss": iss, "launch": launch})

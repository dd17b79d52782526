"""The console as a client of the built-in authorization server.

The console (server.console) signs its users in with the authorization code flow like
any SMART app, as a public client that is always registered and never stored: its one
redirect URI is on the server's own origin, whatever name the server is reached by, so
it cannot be pointed elsewhere. Being part of the server, it needs no approval page.
"""

from __future__ import annotations

from server.storage.auth_port import ClientRecord

CONSOLE_CLIENT_ID = "fhirport-console"
CONSOLE_REDIRECT_PATH = "/signed-in"
CONSOLE_SCOPE = "openid fhirUser online_access user/*.cruds patient/*.rs"


def console_client(root: str) -> ClientRecord:
    """The console's registration as seen from the server's public ``root``."""
    return ClientRecord(
        client_id=CONSOLE_CLIENT_ID,
        name="fhirport console",
        scope=CONSOLE_SCOPE,
        created=0,
        redirect_uris=root + CONSOLE_REDIRECT_PATH,
        public=True,
    )

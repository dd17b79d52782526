"""The web console: server-rendered pages at ``/`` that use fhirport only through its API.

``install_console(app)`` (server.console.mount) adds the pages and their static files to
the app. The pages are listed in ``server.console.pages``; each calls the FHIR API
in-process with the signed-in user's token (server.console.api_client), never the store.
"""

from server.console.mount import install_console

__all__ = ["install_console"]

"""Options several ``fhirport`` commands share."""

from __future__ import annotations

import click

from server.settings import DEFAULT_STORE

# The store a command that runs without the server opens (import, verify, clients, ...).
store_option = click.option(
    "--store", envvar="FHIRPORT_STORE", default=DEFAULT_STORE, show_default=True, help="Store URL."
)

"""The ``fhirport`` command line."""

from __future__ import annotations

import logging

import click

from server.settings import DEFAULT_STORE, Settings


@click.group()
@click.version_option("0.1.0", prog_name="fhirport")
def main() -> None:
    """fhirport: a FHIR R4 server with HL7v2 ingest."""


@main.command()
@click.option("--host", envvar="FHIRPORT_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="FHIRPORT_PORT", default=8080, type=int, show_default=True)
@click.option(
    "--store",
    envvar="FHIRPORT_STORE",
    default=DEFAULT_STORE,
    show_default=True,
    help="sqlite:///PATH, mongodb://HOST/DB, mongodb+srv://..., or memory://",
)
@click.option(
    "--seed/--no-seed",
    envvar="FHIRPORT_SEED",
    default=False,
    show_default=True,
    help="Load the sandbox data set when the store is empty.",
)
@click.option(
    "--base-url",
    envvar="FHIRPORT_BASE_URL",
    default=None,
    help="Public base URL of the FHIR API (default: taken from each request).",
)
@click.option(
    "--max-body-bytes", envvar="FHIRPORT_MAX_BODY_BYTES", default=10 * 1024 * 1024, type=int
)
@click.option("--log-level", envvar="FHIRPORT_LOG_LEVEL", default="info", show_default=True)
def serve(
    host: str,
    port: int,
    store: str,
    seed: bool,
    base_url: str | None,
    max_body_bytes: int,
    log_level: str,
) -> None:
    """Serve the FHIR API at http://HOST:PORT/fhir."""
    import uvicorn

    from server.app import create_app

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    settings = Settings(
        host=host,
        port=port,
        store=store,
        seed=seed,
        base_url=base_url,
        max_body_bytes=max_body_bytes,
        log_level=log_level,
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,
    )

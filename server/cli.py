"""The ``fhirport`` command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
from pydantic import ValidationError

from server.cli_auth import clients, keys, users
from server.cli_options import store_option
from server.settings import Settings

_F = TypeVar("_F", bound=Callable[..., Any])


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


@click.group()
@click.version_option("0.1.0", prog_name="fhirport")
def main() -> None:
    """fhirport: a FHIR R4 server with HL7v2 ingest."""


def _setting(flag: str, help: str | None = None, **kwargs: Any) -> Callable[[_F], _F]:
    """A ``serve`` option that also reads its FHIRPORT_* variable; its default is the Settings'."""
    name = flag.split("/")[0].removeprefix("--").replace("-", "_")
    default = _default(name)
    return click.option(
        flag,
        envvar=f"FHIRPORT_{name.upper()}",
        default=",".join(default) if isinstance(default, tuple) else default,
        show_default=True,
        help=help,
        **kwargs,
    )


@main.command()
@_setting("--host")
@_setting("--port", type=int)
@_setting("--store", "sqlite:///PATH, mongodb://HOST/DB, mongodb+srv://..., or memory://")
@_setting("--seed/--no-seed", "Load the sandbox data set when the store is empty.")
@_setting(
    "--base-url",
    "Public base URL of the FHIR API; every absolute URL is built from it "
    "(default: the request's scheme and its Host, which must be allowed).",
)
@_setting(
    "--allowed-hosts",
    "Comma-separated Host values answered to (NAME or NAME:PORT; NAME alone means any "
    "port); other Hosts get a 400. Default: HOST:PORT and localhost:PORT, plus --base-url's.",
)
@_setting(
    "--forwarded-allow-ips",
    "Comma-separated proxy addresses or networks whose X-Forwarded-Proto and "
    "X-Forwarded-For are believed (default: none).",
)
@_setting("--max-body-bytes", type=int)
@_setting("--log-level")
@_setting(
    "--mllp-port",
    "Also receive HL7v2 over MLLP on this port (e.g. 2575); ACK after commit.",
    type=click.IntRange(0, 65535),
)
@_setting(
    "--timeout-keep-alive",
    "Seconds an idle keep-alive HTTP connection is kept open.",
    type=click.IntRange(min=1),
)
@_setting(
    "--header-timeout",
    "Seconds a client has to send a request line and headers (408 and close after).",
    type=click.FloatRange(min=0, min_open=True),
)
@_setting(
    "--limit-concurrency",
    "HTTP connections and requests at once; past it, requests get a 503.",
    type=click.IntRange(min=1),
)
@_setting(
    "--mllp-idle-timeout",
    "Seconds an MLLP connection may stay silent before it is closed.",
    type=click.FloatRange(min=0, min_open=True),
)
@_setting(
    "--mllp-max-connections",
    "MLLP connections at once; one more is closed as soon as it opens.",
    type=click.IntRange(min=1),
)
@_setting(
    "--out-of-scope",
    "ACK for an HL7v2 message type fhirport does not map (kept raw in the ledger): "
    "reject = AR with the reason, ack = AA.",
    type=click.Choice(["ack", "reject"]),
)
@click.option(
    "--vocab",
    "hl7_vocab",
    envvar="FHIRPORT_HL7_VOCAB",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML or JSON file: each HL7v2 sender's local codes -> HL7 table codes.",
)
@_setting(
    "--hl7-senders",
    "YAML or JSON file: the HL7v2 senders MLLP accepts (MSH-3/MSH-4, optionally their "
    "networks or TLS certificate subjects) and the message types each may send. Without "
    "it, MLLP listens only on loopback.",
    type=click.Path(dir_okay=False, path_type=Path),
)
@_setting(
    "--hl7-outbound",
    "YAML or JSON file: MLLP destinations of the outbound HL7v2 feed (ADT, SIU) and the "
    "message types each wants.",
    type=click.Path(dir_okay=False, path_type=Path),
)
@_setting(
    "--mllp-tls-cert",
    "PEM certificate (chain) for MLLP over TLS.",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@_setting(
    "--mllp-tls-key",
    "PEM private key of --mllp-tls-cert.",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@_setting(
    "--mllp-tls-client-ca",
    "PEM CA certificate(s): MLLP clients must present a certificate they issued (mutual TLS).",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@_setting(
    "--tls-cert",
    "PEM certificate (chain): serve HTTPS directly (or terminate TLS at a proxy).",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@_setting(
    "--tls-key",
    "PEM private key of --tls-cert.",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@_setting(
    "--cors-origins",
    "Comma-separated origins (https://app.example.org) allowed to call the API from a "
    "browser; default: none (CORS off).",
)
@_setting(
    "--max-url-length",
    "Longest request target (path and query) in bytes; longer ones get a 414.",
    type=click.IntRange(min=256),
)
@_setting(
    "--max-query-params",
    "Most query parameters in one request; more get a 400.",
    type=click.IntRange(min=1),
)
@_setting(
    "--request-timeout",
    "Seconds a request may take; a slower one is answered 503 with Retry-After.",
    type=click.FloatRange(min=0, min_open=True),
)
@_setting(
    "--api-docs/--no-api-docs",
    "Serve Swagger UI at /docs and the schema at /openapi.json (from this server only).",
)
@_setting(
    "--auth",
    "smart: every request except /fhir/metadata and SMART discovery needs a bearer "
    "token; none: no access control (refused unless listening on loopback only).",
    type=click.Choice(["smart", "none"]),
)
@_setting(
    "--auth-issuer",
    "Also trust access tokens from this external authorization server (its iss), "
    "e.g. a Keycloak realm or an Okta, Entra ID or Auth0 tenant.",
)
@_setting("--auth-jwks", "The external issuer's signing keys: a JWKS https URL or file.")
@_setting(
    "--auth-audience",
    "The aud the external issuer puts in its tokens for this server (default: the FHIR base URL).",
)
@_setting(
    "--audit",
    "AuditEvents (IHE BALP): all = every access; writes = creates, updates, deletes, "
    "operations and refusals of them, not reads; off = none (release disclosures stay).",
    type=click.Choice(["all", "writes", "off"]),
)
@_setting(
    "--audit-retention-days",
    "AuditEvents older than this are purged in the background (0: kept forever).",
    type=click.IntRange(min=0),
)
@_setting(
    "--export-dir",
    "Where Bulk Data export files are written "
    "(default: 'exports' beside a SQLite store's file, else ./data/exports).",
    type=click.Path(file_okay=False, path_type=Path),
)
@_setting(
    "--export-retention",
    "How long export files are kept after their job completes: seconds, or 30m, 24h, 7d.",
    type=str,
)
@_setting(
    "--export-max-jobs",
    "Bulk Data exports running at once; one more is answered 429.",
    type=click.IntRange(min=1),
)
@_setting(
    "--export-file-max-bytes",
    "An export's ndjson file is split past this size.",
    type=click.IntRange(min=1),
)
@_setting(
    "--max-bundle-entries",
    "Most entries in a transaction or batch Bundle (POST /fhir); more get a 413.",
    type=click.IntRange(min=1),
)
@_setting(
    "--referential-integrity",
    "strict: references into this server must resolve (422) and referenced resources "
    "cannot be deleted (409, or _cascade=delete); lenient: dangling references are "
    "accepted (bulk loads that arrive out of order).",
    type=click.Choice(["strict", "lenient"]),
)
@_setting(
    "--scrub-on-create",
    "Scrub a Claim a client creates or updates: error refuses one with an error-level edit "
    "(422); warn stores the edits with it (GET /fhir/Claim/$scrub-worklist); off: no scrub.",
    type=click.Choice(["error", "warn", "off"]),
)
@_setting(
    "--slot-hold-minutes",
    "How long Appointment/$hold keeps a proposal's Slots from other clients (minutes; default 10).",
    type=click.FloatRange(min=0, min_open=True),
)
@_setting(
    "--reminder-sender",
    "Where Appointment/$send-reminders delivers: file:DIR (a JSON file per reminder), "
    "webhook:URL (POSTed as JSON) or smtp://HOST:PORT[?from=ADDRESS] (email).",
)
@_setting(
    "--reminders-every",
    "Run $send-reminders (the next 48 hours) this often: seconds, or 15m, 1h. Needs "
    "--reminder-sender.",
    type=str,
)
@_setting(
    "--log-format",
    "text, or json: one object a line with the request id (also sent as X-Request-Id).",
    type=click.Choice(["text", "json"]),
)
@_setting("--access-log/--no-access-log", "A log line per request: method, path, status, time.")
@_setting(
    "--access-log-queries/--no-access-log-queries",
    "Put query strings in the access log (they can hold names and birth dates).",
)
def serve(**options: Any) -> None:
    """Serve the FHIR API at http://HOST:PORT/fhir (and HL7v2 MLLP on --mllp-port)."""
    from server.app import create_app
    from server.logs import configure_logging
    from server.serving import run

    try:
        settings = Settings(**options)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise click.UsageError(problems) from None
    _check_external_issuer(settings)
    _refuse_unsecured_exposure(settings)
    _check_vocabulary(settings.hl7_vocab)
    _check_mllp_senders(settings)
    _check_outbound(settings.hl7_outbound)
    _check_reminders(settings)
    _check_store(settings.store)
    configure_logging(settings.log_level, settings.log_format)
    run(create_app(settings), settings)


def _refuse_unsecured_exposure(settings: Settings) -> None:
    """Exit with status 2 when ``--auth none`` would listen beyond loopback."""
    from server.auth.exposure import unsecured_exposure

    problem = unsecured_exposure(settings)
    if problem is not None:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)


def _check_vocabulary(path: Path | None) -> None:
    """Refuse to start on a vocabulary file that cannot be right (before any work)."""
    if path is None:
        return
    from server.hl7v2.vocabulary_file import VocabularyFileError, load_vocabulary

    try:
        load_vocabulary(path)
    except VocabularyFileError as exc:
        raise click.BadParameter(str(exc), param_hint="--vocab") from None


def _check_outbound(path: Path | None) -> None:
    """Exit with status 2 and one line when the outbound feed's file cannot be right."""
    if path is None:
        return
    from server.hl7v2.outbound.config import OutboundFileError, load_outbound

    try:
        load_outbound(path)
    except OutboundFileError as exc:
        click.echo(f"Error: --hl7-outbound: {exc}", err=True)
        sys.exit(2)


def _check_reminders(settings: Settings) -> None:
    """Refuse a reminder sender that names none, or a schedule without a sender."""
    from server.reminders import sender_from_setting

    if settings.reminder_sender is not None:
        try:
            sender_from_setting(settings.reminder_sender)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--reminder-sender") from None
    elif settings.reminders_every is not None:
        raise click.UsageError("--reminders-every needs --reminder-sender")


def _check_mllp_senders(settings: Settings) -> None:
    """Refuse to start MLLP with a bad allowlist, or without one beyond loopback."""
    if settings.mllp_port is None:
        return
    from server.hl7v2.senders import MllpExposed, SendersFileError, check_exposure, load_senders

    try:
        senders = load_senders(settings.hl7_senders) if settings.hl7_senders else None
        check_exposure(settings.host, senders)
    except (MllpExposed, SendersFileError) as exc:
        raise click.UsageError(str(exc)) from None


def _check_external_issuer(settings: Settings) -> None:
    """Refuse to start with half an external issuer (--auth-issuer without --auth-jwks)."""
    from server.auth.issuers import configured_issuers

    try:
        configured_issuers(settings, ())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@main.group()
def hl7() -> None:
    """HL7v2 ingest: import archives of legacy messages."""


@hl7.command("import")
@click.argument("paths", nargs=-1, required=True)
@store_option
@click.option("--dry-run", is_flag=True, help="Parse, map and plan; write nothing.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a JSON report: every message's outcome and the totals.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Processes that parse, map and validate; writes stay in this one (2 was fastest "
    "on a 2-core machine).",
)
@click.option(
    "--dead-letter",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy refused messages (AE/AR) here, each with a .json giving the reason.",
)
@click.option(
    "--out-of-scope",
    type=click.Choice(["ack", "reject"]),
    default="reject",
    show_default=True,
    help="ACK for a message type fhirport does not map: AR with the reason, or AA. Either "
    "way it is kept raw in the ledger, counted apart, and not an error.",
)
@click.option(
    "--vocab",
    envvar="FHIRPORT_HL7_VOCAB",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML or JSON file: each sender's local codes -> HL7 table codes.",
)
@click.option(
    "--progress/--no-progress", default=True, help="A live progress line when stderr is a terminal."
)
def import_messages(
    paths: tuple[str, ...],
    store: str,
    dry_run: bool,
    report: Path | None,
    workers: int,
    dead_letter: Path | None,
    out_of_scope: Literal["ack", "reject"],
    vocab: Path | None,
    progress: bool,
) -> None:
    """Import HL7v2 files, folders or globs (many messages, MLLP-framed, FHS/BHS batches).

    Run it again after an interruption: messages already applied are skipped
    (reported as duplicates), the rest are applied.
    """
    import orjson

    from server.hl7v2.ingest.importer import ImportOptions, NoInput, expand_paths, run_import
    from server.progress import ProgressLine

    try:
        files = expand_paths(paths)
    except NoInput as exc:
        raise click.BadParameter(str(exc), param_hint="PATHS") from None
    _check_vocabulary(vocab)
    total = sum(f.stat().st_size for f in files)
    with ProgressLine("messages", total, shown=progress) as line:
        options = ImportOptions(
            dry_run,
            workers,
            dead_letter,
            out_of_scope=out_of_scope,
            vocabulary=vocab,
            on_message=line.add,
        )
        result = asyncio.run(run_import(files, store, options))
    if report is not None:
        report.write_bytes(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2))
    click.echo(result.summary(), err=True)
    refused = sum(1 for m in result.messages if m["outcome"] in ("rejected", "failed"))
    if refused:
        click.echo(f"{refused} messages were refused (AE/AR); see the report", err=True)
        sys.exit(1)


@hl7.command("ledger")
@store_option
@click.option("--sender", required=True, help="MSH-3|MSH-4, e.g. LEGACYEHR|NORTHCLINIC")
@click.option("--control-id", required=True, help="MSH-10")
def show_ledger(store: str, sender: str, control_id: str) -> None:
    """Show what happened to one message: outcome, raw message, resources, warnings."""
    import orjson

    from server.hl7v2.ingest.bundles import ledger_parameters
    from server.hl7v2.ingest.importer import ledger_lookup

    entry = asyncio.run(ledger_lookup(store, sender, control_id))
    if entry is None:
        click.echo(f"No message {control_id!r} from {sender!r} was received", err=True)
        sys.exit(1)
    click.echo(orjson.dumps(ledger_parameters(entry), option=orjson.OPT_INDENT_2).decode())


@hl7.command("verify")
@click.argument("paths", nargs=-1, required=True)
@store_option
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a JSON report: checks per message type and field, every difference.",
)
@click.option(
    "--vocab",
    envvar="FHIRPORT_HL7_VOCAB",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The vocabulary file the import used (YAML or JSON).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Processes that parse and map; the store is read from this one.",
)
def verify_messages(
    paths: tuple[str, ...], store: str, report: Path | None, vocab: Path | None, workers: int
) -> None:
    """Prove the store holds what HL7v2 files, folders or globs sent (as imported).

    Every field of every applied message must hold its value, unless a later message
    or a REST write changed it (named in the report). Exit status 1 when a difference
    is unexplained, 2 on bad usage or a store that cannot be read.
    """
    import orjson

    from server.hl7v2.ingest.importer import NoInput, expand_paths
    from server.hl7v2.verify import run_verify
    from server.hl7v2.vocabulary_file import mapping_config
    from server.storage.port import StoreUnavailable
    from server.storage.sqlite.store import sqlite_path_from_url

    try:
        files = expand_paths(paths)
    except NoInput as exc:
        raise click.BadParameter(str(exc), param_hint="PATHS") from None
    _check_vocabulary(vocab)
    # Opening a SQLite file that is not there would create an empty store to verify;
    # memory:// is always empty in a new process.
    if store.startswith("sqlite:///") and not Path(sqlite_path_from_url(store)).is_file():
        raise click.BadParameter(f"{store}: no such store file", param_hint="--store")
    if store.startswith("memory://"):
        raise click.BadParameter(
            "memory:// holds nothing outside its process", param_hint="--store"
        )
    config = mapping_config(Settings(store=store, hl7_vocab=vocab))
    try:
        result = asyncio.run(run_verify(files, store, config, workers=workers))
    except StoreUnavailable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    if report is not None:
        report.write_bytes(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2))
    click.echo(result.summary())
    sys.exit(result.exit_status)


main.add_command(clients)
main.add_command(keys)
main.add_command(users)


def _check_store(url: str) -> None:
    """Exit with status 1 and one line when the store cannot be opened (no traceback)."""
    from server.storage.factory import check_store

    _on_store(check_store(url))


def _on_store(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work``; a store that cannot be reached is one line on stderr and status 1."""
    from server.storage.port import StoreUnavailable

    try:
        asyncio.run(work)
    except StoreUnavailable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


@main.group()
def mongo() -> None:
    """MongoDB: the shard plan, and the indexes it needs."""


@mongo.command("shard-plan")
@click.option(
    "--store",
    envvar="FHIRPORT_STORE",
    required=True,
    help="The mongodb:// URL; its database is the one the commands name.",
)
@click.option(
    "--create-indexes",
    is_flag=True,
    help="Connect first and create every collection and index, shard key indexes included.",
)
def shard_plan(store: str, create_indexes: bool) -> None:
    """Print the mongosh commands that shard the store's collections (see the README)."""
    from server.storage.mongo.shards import prepare_for_sharding, shard_commands
    from server.storage.mongo.uri import database_name

    if create_indexes:
        _on_store(prepare_for_sharding(store))
    click.echo("// Run in mongosh connected to a mongos router:")
    for command in shard_commands(database_name(store)):
        click.echo(command)


@hl7.command("vocab-gaps")
@click.argument("report", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show_vocabulary_gaps(report: Path) -> None:
    """Print an import report's vocabulary gaps as a table to fill in (--vocab file)."""
    import orjson

    from server.hl7v2.ingest.gaps import gaps_table

    try:
        gaps = orjson.loads(report.read_bytes())["vocabulary_gaps"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise click.BadParameter(
            "not an import report (fhirport hl7 import --report)", param_hint="REPORT"
        ) from None
    if not gaps:
        click.echo("No vocabulary gaps: every coded value was a table code or mapped.")
        return
    click.echo(gaps_table(gaps))


@main.group()
def fhir() -> None:
    """FHIR data in bulk: import ndjson files and Bundles."""


@fhir.command("import")
@click.argument("paths", nargs=-1, required=True)
@store_option
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a JSON report: every file's and line's outcome, the totals, dangling references.",
)
@click.option(
    "--dead-letter",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy refused lines (and Bundles with a refused entry) here, with the reasons.",
)
@click.option("--dry-run", is_flag=True, help="Validate and match; write nothing.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Processes that validate lines; writes stay in this one.",
)
@click.option(
    "--progress/--no-progress", default=True, help="A live progress line when stderr is a terminal."
)
def import_fhir(
    paths: tuple[str, ...],
    store: str,
    report: Path | None,
    dead_letter: Path | None,
    dry_run: bool,
    workers: int,
    progress: bool,
) -> None:
    """Import ndjson files (a resource a line), Bundles and resources: files, folders, globs,
    gzip. Safe to run again: what is stored already is reported unchanged.

    The last line on stdout is a JSON summary; exit status 1 when anything was refused.
    """
    import orjson

    from server.fhir_import.run import ImportOptions, run_import
    from server.fhir_import.sources import NoInput, expand_paths, input_size
    from server.progress import ProgressLine

    try:
        files = expand_paths(paths)
    except NoInput as exc:
        raise click.BadParameter(str(exc), param_hint="PATHS") from None
    _check_store(store)
    with ProgressLine("resources", input_size(files), shown=progress) as line:
        options = ImportOptions(
            dry_run, dead_letter, workers, keep_lines=report is not None, on_progress=line.add
        )
        result = asyncio.run(run_import(files, store, options))
    if report is not None:
        report.write_bytes(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2))
    click.echo(orjson.dumps(result.summary()).decode())
    if result.refused:
        click.echo(f"{result.refused} lines or entries were refused; see the report", err=True)
        sys.exit(1)

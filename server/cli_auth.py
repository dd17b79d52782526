"""``fhirport clients|users ...`` and ``fhirport keys rotate``: the authorization server's records.

They open the store directly, so they work whether or not a server runs on it (SQLite
lets a second process write; a server reads new keys and clients as it needs them).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson

from server.cli_options import store_option

if TYPE_CHECKING:
    from server.storage.auth_port import AuthRecords

T = TypeVar("T")


def _on_records(store_url: str, action: Callable[[AuthRecords], Awaitable[T]]) -> T:
    """Run ``action`` on the auth records of the store at ``store_url``."""
    from server.storage.factory import open_auth_records, store_from_url
    from server.storage.port import StoreUnavailable

    async def run() -> T:
        store = store_from_url(store_url)
        await store.open()
        try:
            return await action(await open_auth_records(store))
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except StoreUnavailable as exc:
        raise click.ClickException(str(exc)) from None


def _remove(
    store: str, what: str, key: str, action: Callable[[AuthRecords], Awaitable[bool]]
) -> None:
    """Run a removal; exit 1 when there was nothing to remove."""
    if not _on_records(store, action):
        click.echo(f"No {what} {key!r}", err=True)
        sys.exit(1)
    click.echo(f"Removed {key}")


def _echo_json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


@click.group()
def clients() -> None:
    """SMART Backend Services clients of the built-in authorization server."""


@clients.command("add")
@click.argument("name")
@click.option("--scope", required=True, help='e.g. "system/Patient.rs system/Claim.rs"')
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The client's public keys (a JWKS file): it authenticates with private_key_jwt.",
)
@click.option("--jwks-url", help="Where the client serves its public keys (https).")
@click.option(
    "--secret", is_flag=True, help="Generate a client secret (client_secret_basic), shown once."
)
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="A SMART app's redirect URI, matched exactly (repeat for several).",
)
@click.option("--public", is_flag=True, help="A SMART app without credentials (PKCE only).")
@click.option("--launch-url", help="Where the EHR (the console) launches the app.")
@click.option(
    "--id-token-alg",
    type=click.Choice(["RS256", "ES256"]),
    help="How the app's OpenID Connect ID tokens are signed (default RS256).",
)
@store_option
def add_client(
    name: str,
    scope: str,
    jwks_file: Path | None,
    jwks_url: str | None,
    secret: bool,
    redirect_uris: tuple[str, ...],
    public: bool,
    launch_url: str | None,
    id_token_alg: str | None,
    store: str,
) -> None:
    """Register a client; prints its client_id (and its secret, which is not kept).

    A Backend Services client has system/ scopes and a JWKS, JWKS URL or secret; a
    SMART app has --redirect-uri, and is --public or has one of those.
    """
    from server.auth.clients import ClientError, describe, register_client

    try:
        jwks = orjson.loads(jwks_file.read_bytes()) if jwks_file is not None else None
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--jwks") from None

    async def add(records: AuthRecords) -> dict[str, Any]:
        record, plain = await register_client(
            records,
            name,
            scope,
            jwks=jwks,
            jwks_url=jwks_url,
            secret=secret,
            redirect_uris=redirect_uris,
            public=public,
            launch_url=launch_url,
            id_token_alg=id_token_alg,
        )
        shown = describe(record)
        if plain is not None:
            shown["client_secret"] = plain
        return shown

    try:
        _echo_json(_on_records(store, add))
    except ClientError as exc:
        raise click.UsageError(str(exc)) from None


@clients.command("list")
@store_option
def list_clients(store: str) -> None:
    """List the registered clients (never their secrets)."""
    from server.auth.clients import describe

    async def listed(records: AuthRecords) -> list[dict[str, Any]]:
        return [describe(client) for client in await records.clients()]

    _echo_json(_on_records(store, listed))


@clients.command("remove")
@click.argument("client_id")
@store_option
def remove_client(client_id: str, store: str) -> None:
    """Remove a client: it gets no new tokens (tokens it holds expire within minutes)."""

    _remove(store, "client", client_id, lambda records: records.remove_client(client_id))


@click.group()
def users() -> None:
    """People who sign in to the built-in authorization server (SMART App Launch)."""


@users.command("add")
@click.argument("name")
@click.option("--fhir-user", required=True, help="Who the user is: Practitioner/ID or Patient/ID.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
@store_option
def add_user(name: str, fhir_user: str, password_stdin: bool, store: str) -> None:
    """Add a user; the password is asked for (twice) unless --password-stdin."""
    from server.auth.users import UserError, add_user, check_fhir_user, describe

    try:
        check_fhir_user(fhir_user)
    except UserError as exc:
        raise click.BadParameter(str(exc), param_hint="--fhir-user") from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def add(records: AuthRecords) -> dict[str, object]:
        return describe(await add_user(records, name, fhir_user, password))

    try:
        _echo_json(_on_records(store, add))
    except UserError as exc:
        raise click.UsageError(str(exc)) from None


@users.command("list")
@store_option
def list_users(store: str) -> None:
    """List the users (never their passwords)."""
    from server.auth.users import describe

    async def listed(records: AuthRecords) -> list[dict[str, object]]:
        return [describe(user) for user in await records.users()]

    _echo_json(_on_records(store, listed))


@users.command("remove")
@click.argument("name")
@store_option
def remove_user(name: str, store: str) -> None:
    """Remove a user: they cannot sign in again (tokens they hold expire within minutes)."""

    _remove(store, "user", name, lambda records: records.remove_user(name))


@click.group()
def keys() -> None:
    """The built-in authorization server's token signing keys."""


@keys.command("rotate")
@click.option(
    "--algorithm",
    type=click.Choice(["ES256", "RS256"]),
    default="ES256",
    show_default=True,
    help="ES256 signs access tokens, RS256 ID tokens.",
)
@store_option
def rotate_keys(algorithm: str, store: str) -> None:
    """Add a signing key; it signs from now on, and tokens signed before stay valid."""
    from server.auth.signing_keys import rotate

    kid = _on_records(store, lambda records: rotate(records, algorithm))
    click.echo(f"New signing key {kid}")

"""``fhirport users add/list/remove`` and signing in as a user, with its lockout."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from server.auth.users import (
    LOCKOUT_FAILURES,
    SignInRefused,
    UserError,
    add_user,
    sign_in,
)
from server.cli import main
from server.storage.factory import open_auth_records, store_from_url
from server.storage.port import Store


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


def test_a_user_is_added_from_stdin_listed_and_removed(sqlite_url: str) -> None:
    added = _run(
        "users", "add", "drho", "--fhir-user", "Practitioner/p1", "--password-stdin",
        "--store", sqlite_url, stdin="correct horse battery\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = orjson.loads(added.output)
    assert shown == {
        "username": "drho",
        "fhir_user": "Practitioner/p1",
        "created": shown["created"],
    }

    listed = orjson.loads(_run("users", "list", "--store", sqlite_url).output)
    assert [(u["username"], u["fhir_user"]) for u in listed] == [("drho", "Practitioner/p1")]
    stored = Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()
    assert b"correct horse battery" not in stored

    assert _run("users", "remove", "drho", "--store", sqlite_url).exit_code == 0
    assert orjson.loads(_run("users", "list", "--store", sqlite_url).output) == []
    assert _run("users", "remove", "drho", "--store", sqlite_url).exit_code == 1


def test_the_password_is_prompted_for_twice(sqlite_url: str) -> None:
    added = _run(
        "users", "add", "pat", "--fhir-user", "Patient/123", "--store", sqlite_url,
        stdin="s3cret-enough\ns3cret-enough\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert '"fhir_user": "Patient/123"' in added.output


@pytest.mark.parametrize(
    ("fhir_user", "password"),
    [
        pytest.param("Organization/o1", "long enough pw", id="not-a-person"),
        pytest.param("Practitioner", "long enough pw", id="no-id"),
        pytest.param("Patient/bad id!", "long enough pw", id="bad-id"),
        pytest.param("Patient/123", "short", id="short-password"),
    ],
)
def test_bad_users_are_refused(sqlite_url: str, fhir_user: str, password: str) -> None:
    added = _run(
        "users", "add", "x", "--fhir-user", fhir_user, "--password-stdin", "--store", sqlite_url,
        stdin=password,
    )  # fmt: skip
    assert added.exit_code == 2, added.output
    assert orjson.loads(_run("users", "list", "--store", sqlite_url).output) == []


def test_a_taken_name_is_refused(sqlite_url: str) -> None:
    args = ("users", "add", "x", "--fhir-user", "Patient/1", "--password-stdin", "--store")
    assert _run(*args, sqlite_url, stdin="long enough pw").exit_code == 0
    again = _run(*args, sqlite_url, stdin="long enough pw")
    assert again.exit_code == 2
    assert "exists" in again.output


@pytest.mark.anyio
async def test_sign_in_checks_the_password_and_locks_out(store: Store) -> None:
    records = await open_auth_records(store)
    await add_user(records, "drho", "Practitioner/p1", "correct horse battery")
    user = await sign_in(records, "drho", "correct horse battery", now=1000)
    assert user.fhir_user == "Practitioner/p1"

    with pytest.raises(SignInRefused) as unknown:
        await sign_in(records, "nobody", "correct horse battery", now=1000)
    with pytest.raises(SignInRefused) as wrong:
        await sign_in(records, "drho", "wrong", now=1000)
    assert str(unknown.value) == str(wrong.value)  # no hint which names exist

    for attempt in range(LOCKOUT_FAILURES - 1):
        with pytest.raises(SignInRefused):
            await sign_in(records, "drho", f"wrong{attempt}", now=1001 + attempt)
    with pytest.raises(SignInRefused) as locked:
        await sign_in(records, "drho", "correct horse battery", now=1100)
    assert locked.value.locked
    # The window passes: the right password works again, and clears the count.
    assert await sign_in(records, "drho", "correct horse battery", now=1000 + 16 * 60)
    with pytest.raises(SignInRefused) as once:
        await sign_in(records, "drho", "wrong", now=2000)
    assert not once.value.locked


@pytest.mark.anyio
async def test_failed_sign_ins_past_the_lockout_window_are_not_kept(store: Store) -> None:
    records = await open_auth_records(store)
    await add_user(records, "drho", "Practitioner/p1", "correct horse battery")
    for day in range(5):  # one wrong password a day, never a right one
        with pytest.raises(SignInRefused):
            await sign_in(records, "drho", "wrong", now=day * 86_400)

    assert await records.failures_since("drho", 0) == 1


@pytest.mark.anyio
async def test_users_live_in_each_store(store: Store) -> None:
    records = await open_auth_records(store)
    with pytest.raises(UserError):
        await add_user(records, "", "Patient/1", "long enough pw")
    await add_user(records, "a", "Patient/1", "long enough pw")
    with pytest.raises(UserError):
        await add_user(records, "a", "Patient/2", "long enough pw")
    assert [u.username for u in await records.users()] == ["a"]
    assert await records.remove_user("a")
    assert await records.user("a") is None


def test_users_added_while_a_second_process_holds_the_store(sqlite_url: str) -> None:
    async def hold_and_add() -> None:
        held = store_from_url(sqlite_url)
        await held.open()
        try:
            result = await asyncio.to_thread(
                _run, "users", "add", "u", "--fhir-user", "Patient/1", "--password-stdin",
                "--store", sqlite_url, stdin="long enough pw",
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            assert await (await open_auth_records(held)).user("u") is not None
        finally:
            await held.close()

    asyncio.run(hold_and_add())

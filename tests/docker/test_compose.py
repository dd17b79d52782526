"""``docker/compose.yaml`` and the image's entrypoint: a replica set, fhirport with
auth on, and a first admin user made from the environment. No Docker daemon is needed:
the compose file is read as YAML, the entrypoint runs here against SQLite."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from server.auth.users import sign_in
from server.storage.factory import open_auth_records, store_from_url
from server.storage.port import StoredVersion
from tests.e2e.server_process import free_port, running_command

pytestmark = pytest.mark.slow

DOCKER = Path(__file__).parents[2] / "docker"
ENTRYPOINT = DOCKER / "entrypoint.sh"
BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return loaded


def test_fhirport_runs_with_auth_on_after_the_replica_set(compose: dict[str, Any]) -> None:
    service = compose["services"]["fhirport"]
    environment = service["environment"]

    assert environment["FHIRPORT_AUTH"] == "smart"
    assert "replicaSet=rs0" in environment["FHIRPORT_STORE"]
    assert service["depends_on"]["mongo-init"] == {"condition": "service_completed_successfully"}
    assert {"mongo1", "mongo2", "mongo3"} <= set(compose["services"])


def test_the_public_url_is_the_operators_to_set(compose: dict[str, Any]) -> None:
    """The server answers only to the Host of its --base-url (or localhost:8080): an
    operator reaching it under another name or port sets FHIRPORT_BASE_URL."""
    environment = compose["services"]["fhirport"]["environment"]

    assert environment["FHIRPORT_BASE_URL"] == "${FHIRPORT_BASE_URL:-http://localhost:8080/fhir}"


def test_the_first_admin_comes_from_the_environment_and_a_secret(compose: dict[str, Any]) -> None:
    service = compose["services"]["fhirport"]
    environment = service["environment"]
    (secret,) = service["secrets"]

    assert environment["FHIRPORT_ADMIN_USER"]
    assert environment["FHIRPORT_ADMIN_PASSWORD_FILE"] == f"/run/secrets/{secret}"
    assert "file" in compose["secrets"][secret]


def test_the_image_runs_the_entrypoint_before_its_command() -> None:
    lines = (DOCKER / "Dockerfile").read_text().splitlines()

    assert "COPY docker/entrypoint.sh /usr/local/bin/fhirport-entrypoint" in lines
    assert 'ENTRYPOINT ["/usr/local/bin/fhirport-entrypoint"]' in lines
    assert lines[-1] == 'CMD ["fhirport", "serve"]'


def entrypoint(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    """Run the entrypoint with ``env`` (and this venv's ``fhirport`` first on PATH)."""
    full = {"PATH": f"{BIN}:{os.environ['PATH']}", "FHIRPORT_AUDIT": "off", **env}
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *command], env=full, capture_output=True, text=True, timeout=120
    )


def admin_env(tmp_path: Path, password: str = "correct horse battery") -> dict[str, str]:
    secret = tmp_path / "admin_password"
    secret.write_text(password + "\n", encoding="utf-8")
    return {
        "FHIRPORT_STORE": f"sqlite:///{tmp_path / 'store.sqlite3'}",
        "FHIRPORT_ADMIN_USER": "admin",
        "FHIRPORT_ADMIN_PASSWORD_FILE": str(secret),
    }


def signed_in(store_url: str, password: str) -> tuple[str, StoredVersion | None]:
    """Sign ``admin`` in with ``password``: their fhirUser, and that resource as stored."""

    async def run() -> tuple[str, StoredVersion | None]:
        store = store_from_url(store_url)
        await store.open()
        try:
            user = await sign_in(await open_auth_records(store), "admin", password)
            resource_type, _, resource_id = user.fhir_user.partition("/")
            return user.fhir_user, await store.read(resource_type, resource_id)
        finally:
            await store.close()

    return asyncio.run(run())


def test_the_entrypoint_adds_the_admin_then_runs_the_command(tmp_path: Path) -> None:
    env = admin_env(tmp_path)

    done = entrypoint(env, "sh", "-c", "echo serving")

    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("serving\n")
    fhir_user, practitioner = signed_in(env["FHIRPORT_STORE"], "correct horse battery")
    assert fhir_user == "Practitioner/admin"
    assert practitioner is not None
    assert practitioner.body is not None
    assert orjson.loads(practitioner.body)["resourceType"] == "Practitioner"


def test_a_restart_keeps_the_admin_as_it_is(tmp_path: Path) -> None:
    env = admin_env(tmp_path)
    assert entrypoint(env, "true").returncode == 0
    admin_env(tmp_path, password="another password entirely")

    again = entrypoint(env, "true")

    assert again.returncode == 0, again.stderr
    assert signed_in(env["FHIRPORT_STORE"], "correct horse battery")[0] == "Practitioner/admin"


def test_an_admin_without_a_password_file_stops_the_start(tmp_path: Path) -> None:
    env = admin_env(tmp_path)
    env["FHIRPORT_ADMIN_PASSWORD_FILE"] = str(tmp_path / "missing")

    done = entrypoint(env, "sh", "-c", "echo serving")

    assert done.returncode != 0
    assert "serving" not in done.stdout
    assert "FHIRPORT_ADMIN_PASSWORD_FILE" in done.stderr


def test_without_an_admin_the_entrypoint_only_runs_the_command(tmp_path: Path) -> None:
    done = entrypoint({"FHIRPORT_STORE": f"sqlite:///{tmp_path / 's.sqlite3'}"}, "echo", "hi")

    assert (done.returncode, done.stdout) == (0, "hi\n")
    assert not (tmp_path / "s.sqlite3").exists()


def patients_in(store_url: str) -> int:
    async def run() -> int:
        store = store_from_url(store_url)
        await store.open()
        try:
            return await store.count("Patient")
        finally:
            await store.close()

    return asyncio.run(run())


def test_the_sandbox_is_seeded_although_the_admin_is_stored_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compose.yaml asks for the sandbox (FHIRPORT_SEED) and an admin: the admin's
    Practitioner, stored before the server starts, must not make the store look used."""
    env = admin_env(tmp_path)
    for name, value in {**env, "FHIRPORT_SEED": "true", "FHIRPORT_AUDIT": "off"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATH", f"{BIN}:{os.environ['PATH']}")
    port = free_port()

    # The seed and the admin come before the server listens: slow on a loaded machine.
    command = ["sh", str(ENTRYPOINT), "fhirport", "serve", "--port", str(port)]
    with running_command(command, port, timeout=120):
        pass

    assert patients_in(env["FHIRPORT_STORE"]) > 0
    assert signed_in(env["FHIRPORT_STORE"], "correct horse battery")[0] == "Practitioner/admin"


def run_mongo_init(compose: dict[str, Any], primary_after: int | None) -> int:
    """Exit status of mongo-init's mongosh script under node, with a replica set stub that
    knows a primary after ``primary_after`` ``hello`` calls (None: never)."""
    script = compose["services"]["mongo-init"]["command"][-1]
    stub = f"""
let hellos = 0;
const after = {"Infinity" if primary_after is None else primary_after};
const rs = {{ status() {{ throw new Error("not yet initialized"); }}, initiate(config) {{}} }};
const db = {{
  hello() {{ hellos += 1; return hellos > after ? {{ primary: "mongo1:27017" }} : {{}}; }},
}};
function sleep(ms) {{}}
function quit(code) {{ process.exit(code); }}
"""
    done = subprocess.run(
        ["node", "-e", stub + script + "\nprocess.exit(0);"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "Error" not in done.stderr, done.stderr
    return done.returncode


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run mongosh's script")
def test_mongo_init_ends_once_the_replica_set_has_a_primary(compose: dict[str, Any]) -> None:
    """fhirport starts when mongo-init ends; its store waits only seconds for a primary."""
    assert run_mongo_init(compose, primary_after=3) == 0
    assert run_mongo_init(compose, primary_after=None) == 1

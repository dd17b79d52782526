#!/bin/sh
# The image's entrypoint: make the first admin user, once, then run the command
# (by default `fhirport serve`).
#
#   FHIRPORT_ADMIN_USER            the admin's user name; unset: no user is made
#   FHIRPORT_ADMIN_PASSWORD_FILE   a file holding the password (a Docker secret)
#   FHIRPORT_ADMIN_FHIR_USER       who the admin is (default Practitioner/admin); a
#                                  Practitioner is stored under that id with the user
#   FHIRPORT_SEED                  true: the sandbox is loaded before the admin is stored
#
# A user of that name that exists already is left as it is, whatever the file now holds:
# change a password with `fhirport users remove` and `add`. The password is read from a
# file, never from the environment, which `docker inspect` shows to anyone.
set -eu

admin_exists() {
    fhirport users list | python -c '
import json, sys
sys.exit(0 if any(u["username"] == sys.argv[1] for u in json.load(sys.stdin)) else 1)
' "$FHIRPORT_ADMIN_USER"
}

# With FHIRPORT_SEED the server loads the sandbox only into an empty store, and the
# admin's Practitioner would make it look used: so the sandbox goes in first, as the
# server would load it.
seed_sandbox() {
    python -c '
import asyncio
from server.runtime import open_runtime
from server.seed import seed_if_empty
from server.settings import Settings

async def seed() -> None:
    settings = Settings()
    if settings.seed:
        async with open_runtime(settings) as runtime:
            loaded = await seed_if_empty(runtime.service, settings.sandbox_dir)
            print(f"Sandbox seed: {loaded} resources loaded", flush=True)

asyncio.run(seed())
' >&2
}

store_practitioner() {
    folder=$(mktemp -d)
    printf '{"resourceType": "Practitioner", "id": "%s", "active": true, "name": [{"text": "Administrator"}]}\n' \
        "$1" >"$folder/Practitioner.json"
    fhirport fhir import "$folder/Practitioner.json" --no-progress >&2
    rm -r "$folder"
}

if [ -n "${FHIRPORT_ADMIN_USER:-}" ]; then
    password_file=${FHIRPORT_ADMIN_PASSWORD_FILE:-}
    if [ -z "$password_file" ] || [ ! -r "$password_file" ]; then
        echo "FHIRPORT_ADMIN_USER is set: FHIRPORT_ADMIN_PASSWORD_FILE must name a readable file" \
            "holding the password (got '${password_file}')" >&2
        exit 64
    fi
    fhir_user=${FHIRPORT_ADMIN_FHIR_USER:-Practitioner/admin}
    if admin_exists; then
        echo "The admin user ${FHIRPORT_ADMIN_USER} exists already; left as it is" >&2
    else
        seed_sandbox
        case $fhir_user in
            Practitioner/*) store_practitioner "${fhir_user#Practitioner/}" ;;
        esac
        fhirport users add "$FHIRPORT_ADMIN_USER" --fhir-user "$fhir_user" --password-stdin \
            <"$password_file" >&2
    fi
fi

exec "$@"

#!/usr/bin/env bash
# Build the image and prove it runs as it should; run from anywhere, needs a Docker daemon,
# curl and python3 on this host:
#   bash docker/smoke.sh
# It builds docker/Dockerfile, starts the image on SQLite the way compose.yaml starts it
# (SMART auth on, the first admin from FHIRPORT_ADMIN_USER and a password file, the
# sandbox seeded, MLLP with docker/hl7-senders.yaml), waits until Docker calls it healthy
# and checks: the server runs as uid 10001, its data volume is its own, /fhir/metadata
# answers, the admin signs in to the console (a wrong password is refused), the image
# holds no compiler and no pip. It removes its container, volume and files at the end;
# the image stays (tag: FHIRPORT_SMOKE_IMAGE, default fhirport:smoke) for the next build's cache.
# FHIRPORT_SMOKE_BASE names another base image than python:3.11-slim (its PYTHON_IMAGE),
# e.g. the one docker/standin-base.sh builds where Docker Hub is out of reach.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
image=${FHIRPORT_SMOKE_IMAGE:-fhirport:smoke}
python_image=${FHIRPORT_SMOKE_BASE:-python:3.11-slim}
name=fhirport-smoke-$$
volume=$name-data
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
password='smoke test passphrase'

cleanup() {
    docker rm --force "$name" >/dev/null 2>&1 || true
    docker volume rm "$volume" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL - $*" >&2
    docker logs "$name" 2>&1 | tail -40 >&2 || true
    exit 1
}

ok() { echo "ok - $*"; }

docker build --quiet --build-arg "PYTHON_IMAGE=$python_image" \
    --file "$root/docker/Dockerfile" --tag "$image" "$root" >/dev/null
ok "built $image on $python_image: $(docker image inspect --format '{{.Size}}' "$image") bytes"

# The container's user (not the file's owner here) must read the secret, as with compose.
printf '%s\n' "$password" >"$work/admin-password.txt"
chmod 644 "$work/admin-password.txt"
docker run --detach --name "$name" \
    --publish "127.0.0.1:$port:8080" \
    --volume "$volume:/app/data" \
    --volume "$work/admin-password.txt:/run/secrets/admin_password:ro" \
    --volume "$root/docker/hl7-senders.yaml:/etc/fhirport/hl7-senders.yaml:ro" \
    --env FHIRPORT_AUTH=smart \
    --env FHIRPORT_SEED=true \
    --env FHIRPORT_ADMIN_USER=admin \
    --env FHIRPORT_ADMIN_PASSWORD_FILE=/run/secrets/admin_password \
    --env FHIRPORT_MLLP_PORT=2575 \
    --env FHIRPORT_HL7_SENDERS=/etc/fhirport/hl7-senders.yaml \
    --env "FHIRPORT_BASE_URL=$base/fhir" \
    "$image" >/dev/null

# The HEALTHCHECK's first run is one interval (15 s) after the start.
deadline=$((SECONDS + 240))
until [ "$(docker inspect --format '{{.State.Health.Status}}' "$name")" = healthy ]; do
    state=$(docker inspect --format '{{.State.Status}} {{.State.Health.Status}}' "$name")
    case $state in
        running\ starting) ;;
        *) fail "container is '$state', not healthy" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || fail "not healthy within 240 s"
    sleep 2
done
ok "docker reports the container healthy (HEALTHCHECK on /readyz)"

ready=$(curl -fsS "$base/readyz")
case $ready in
    *'"store":"pass"'*'"mllp":"pass"'*) ok "readyz: $ready" ;;
    *) fail "readyz: $ready" ;;
esac

uid=$(docker exec "$name" awk '/^Uid:/ { print $2 }' /proc/1/status)
[ "$uid" = 10001 ] || fail "the server (pid 1) runs as uid $uid"
ok "the server (pid 1) runs as uid 10001"
owner=$(docker exec "$name" stat -c %u /app/data/fhirport.sqlite3)
[ "$owner" = 10001 ] || fail "the store belongs to uid $owner"
ok "the store on the data volume belongs to uid 10001"

# Read whole first: grep -q stopping at the match would fail the pipe (pipefail).
logs=$(docker logs "$name" 2>&1)
grep -Eq 'Sandbox seed: [1-9][0-9]* resources loaded' <<<"$logs" || fail "the sandbox was not loaded"
ok "the sandbox was loaded before the admin was stored"

metadata=$(curl -fsS -H 'Accept: application/fhir+json' "$base/fhir/metadata")
case $metadata in
    *'"resourceType":"CapabilityStatement"'*) ok "/fhir/metadata answers a CapabilityStatement" ;;
    *) fail "/fhir/metadata: ${metadata:0:200}" ;;
esac

# The console's sign-in: its authorization code flow, the server's own sign-in form.
jar=$work/cookies
sign_in() {
    local form csrf
    form=$(curl -fsSL -c "$jar" -b "$jar" "$base/console/sign-in/start")
    csrf=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' <<<"$form")
    [ -n "$csrf" ] || fail "no sign-in form at $base/console/sign-in/start"
    curl -sSL -c "$jar" -b "$jar" -o "$work/page.html" -w '%{http_code} %{url_effective}' \
        --data-urlencode "csrf_token=$csrf" --data-urlencode username=admin \
        --data-urlencode "password=$1" "$base/auth/sign-in"
}
refused=$(sign_in 'not the password')
[ "${refused%% *}" = 401 ] || fail "a wrong password gave $refused"
ok "a wrong password is refused (401)"
landed=$(sign_in "$password")
[ "$landed" = "200 $base/" ] || fail "signing in ended at $landed"
grep -q 'Signed in as <strong>admin (Practitioner/admin)</strong>' "$work/page.html" ||
    fail "the console's home page does not show the admin signed in"
ok "the admin signs in to the console as Practitioner/admin"

tools=$(docker run --rm --entrypoint sh "$image" -c \
    'for t in gcc cc make pip pip3; do command -v "$t" || true; done')
[ -z "$tools" ] || fail "the image holds build tools: $tools"
ok "no compiler, make or pip in the image"

docker stop --time 20 "$name" >/dev/null
code=$(docker inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "docker stop: exit code $code"
ok "docker stop ends the server cleanly (exit 0)"

#!/usr/bin/env bash
# Build a stand-in for python:3.11-slim from Debian bookworm's packages, for machines that
# reach Debian's archive but not Docker Hub (as root, with debootstrap installed):
#   bash docker/standin-base.sh [TAG]        # default TAG: fhirport-python:3.11-debian
#   docker build -f docker/Dockerfile --build-arg PYTHON_IMAGE=fhirport-python:3.11-debian -t fhirport .
# Debian's Python lives in /usr/bin (the official image's in /usr/local/bin) and is 3.11.2.
# Certificate authorities added to this host (/usr/local/share/ca-certificates, e.g. a
# proxy's) are trusted in the image too, by pip as well (PIP_CERT), so the build's
# `pip install` gets through the same proxy as this host.
set -euo pipefail

tag=${1:-fhirport-python:3.11-debian}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

debootstrap --variant=minbase \
    --include=python3.11,python3.11-venv,python3-venv,python-is-python3,passwd,ca-certificates,netbase,tzdata \
    bookworm "$rootfs" "$mirror" >/dev/null
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
fi
tar -C "$rootfs" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' \
    - "$tag" >/dev/null
echo "$tag: $(docker run --rm "$tag" python --version)"

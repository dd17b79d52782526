"""The image's HEALTHCHECK: exit 0 when ``/readyz`` passes, 1 with one line otherwise.

Ready, not merely alive: the store answers reads and writes (server/api/routes_health.py).
It asks the server on loopback at the port the server was given (FHIRPORT_PORT), over
HTTPS when the server serves it (FHIRPORT_TLS_CERT), without checking the certificate:
its name is the public one, not 127.0.0.1, and the check is of the process, not of TLS.
"""

from __future__ import annotations

import os
import ssl
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4


def readyz_url() -> str:
    scheme = "https" if os.environ.get("FHIRPORT_TLS_CERT") else "http"
    return f"{scheme}://127.0.0.1:{os.environ.get('FHIRPORT_PORT', '8080')}/readyz"


def main() -> int:
    url = readyz_url()
    loopback = ssl._create_unverified_context()  # noqa: S323 - see the module's docstring
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS, context=loopback) as answer:  # noqa: S310 - a fixed loopback URL
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

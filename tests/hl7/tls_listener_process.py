"""An MLLP-over-TLS listener in a process of its own, on uvloop as ``fhirport serve`` runs it.

``python -m tests.hl7.tls_listener_process CERT KEY [CLIENT_CA]`` prints the port it
listens on, then one ``refused <host> <reason>`` line per failed handshake, until killed.
A client in the test process then races the listener as a real sender does.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import uvloop

from hl7.mllp import Peer, serve_mllp
from hl7.tls import server_context
from tests.hl7.test_mllp import HOST, acknowledge


def _report(peer: Peer, reason: str) -> None:
    print(f"refused {peer.host} {reason}", flush=True)


async def _main(cert: Path, key: Path, client_ca: Path | None) -> None:
    context = server_context(cert, key, client_ca)
    async with await serve_mllp(
        HOST, 0, acknowledge, ssl=context, on_tls_failure=_report
    ) as listening:
        print(listening.port, flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    paths = [Path(arg) for arg in sys.argv[1:]]
    uvloop.run(_main(paths[0], paths[1], paths[2] if len(paths) > 2 else None))

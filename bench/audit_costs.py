"""What access control and audit cost one read, in-process, on a fresh SQLite store.

    .venv/bin/python bench/audit_costs.py [--events 4096]

Times the bearer token check (a first sight, with its signature check, and a repeated
token, which the verifier remembers), the gate that turns the Authorization header into
the request's Access, the AuditEvent's building (from the request's draft to the Write
with its index entries, on the event loop) and its storing (``Store.append`` in chunks
as the audit trail's group commit does: the process's CPU time per event, the writer
thread's included). Microseconds per request.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.audit.draft import AuditDraft
from server.audit.requests import request_access
from server.interactions import new_id
from server.runtime import Runtime, open_runtime
from server.settings import Settings
from tests.conftest import make_patient

CHUNK = 256  # as server.audit.trail


def per_call(fn: Callable[[], Any], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


async def per_await(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        await fn()
    return (time.perf_counter() - started) / n * 1e6


async def token(runtime: Runtime) -> str:
    """A token of the built-in issuer, signed as its token endpoint signs them."""
    now = int(time.time())
    claims = {
        "iss": "http://127.0.0.1:8080",
        "aud": runtime.base_urls[0],
        "sub": "bench",
        "client_id": "bench",
        "scope": "system/Patient.rs",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
    }
    signed: str = await runtime.token_service.keys.sign(claims)
    return signed


async def measure(runtime: Runtime, events: int) -> None:
    await runtime.audit.close()  # no background flushes while timing
    fresh = [await token(runtime) for _ in range(100)]
    unseen = iter(fresh)
    first = await per_await(lambda: runtime.tokens.verify(next(unseen)), len(fresh))
    again = await per_await(lambda: runtime.tokens.verify(fresh[0]), 20_000)
    header = f"Bearer {fresh[0]}"
    gate = await per_await(lambda: runtime.access.access(header), 20_000)
    print(f"token check, first sight (ES256 signature): {first:8.1f} us")
    print(f"token check, a token seen before:           {again:8.2f} us")
    print(f"gate (Authorization header -> Access):      {gate:8.2f} us")

    version = (await runtime.service.create("Patient", make_patient())).version
    scope = {"client": ("10.0.0.1", 5555), "state": {"access": await runtime.access.access(header)}}

    def draft() -> AuditDraft:
        made = AuditDraft("GET", f"/fhir/Patient/{version.id}", scope)
        made.returned.append(version)
        return made

    builder = runtime.audit.builder
    build = per_call(lambda: builder.write(request_access(draft(), 200), new_id()), 20_000)
    print(f"audit record built (draft -> Write):        {build:8.1f} us")
    writes = [builder.write(request_access(draft(), 200), new_id()) for _ in range(events)]
    await runtime.store.append(writes[:CHUNK])  # warm
    started = time.process_time()
    for i in range(CHUNK, events, CHUNK):
        await runtime.store.append(writes[i : i + CHUNK])
    stored = (time.process_time() - started) / (events - CHUNK) * 1e6
    print(f"audit record stored (CPU, chunks of {CHUNK}):  {stored:8.1f} us")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=4096)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = f"sqlite:///{Path(folder) / 'store.sqlite3'}"
        settings = Settings(store=store, auth="smart", audit="all", port=8080)
        async with open_runtime(settings) as runtime:
            await measure(runtime, args.events)


if __name__ == "__main__":
    asyncio.run(main())

"""``/healthz`` and ``/readyz``: liveness and readiness for orchestrators and load balancers.

Outside the FHIR API: no token, no audit record, and nothing about any patient. Live means
the process answers (restart it if not); ready means it can serve now: the store answers a
read and commits a write with its schema in place, and the MLLP listener is up when one is
configured (send it no traffic if not). A store that cannot answer in time is not ready.
"""

from __future__ import annotations

import asyncio
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api.route_table import Handler, Row
from server.storage.port import Store, StoreUnavailable

PROBE_SECONDS: Final = 2.0
_JSON: Final = "application/json"


def _answer(body: dict[str, object], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type=_JSON)


async def live() -> Response:
    return _answer({"status": "pass"})


async def ready(request: Request) -> Response:
    checks = {
        "store": await _store_check(request.app.state.store),
        "mllp": _mllp_check(request),
    }
    failed = any(value.startswith("fail") for value in checks.values())
    return _answer(
        {"status": "fail" if failed else "pass", "checks": checks}, 503 if failed else 200
    )


async def _store_check(store: Store) -> str:
    try:
        await asyncio.wait_for(store.probe(), PROBE_SECONDS)
    except TimeoutError:
        return f"fail: no answer within {PROBE_SECONDS:g} s"
    except StoreUnavailable as exc:
        return f"fail: {exc}"
    return "pass"


def _mllp_check(request: Request) -> str:
    if request.app.state.settings.mllp_port is None:
        return "not configured"
    hl7 = getattr(request.app.state, "hl7", None)
    listener = hl7.mllp if hl7 is not None else None
    if listener is None or not listener.is_serving():
        return "fail: the MLLP listener is not accepting connections"
    return "pass"


_PROBES: Final[dict[str, Handler]] = {"/healthz": live, "/readyz": ready}
ROUTES = tuple(
    Row(path, ("GET",), handler, documented=False, prefix="") for path, handler in _PROBES.items()
)
# Answered whatever the Host: probes name the pod's address, and these answers hold no URL.
PROBE_PATHS: Final = frozenset(_PROBES)

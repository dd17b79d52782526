"""Where the server's absolute URLs come from: ``--base-url``, or a Host it answers to.

Location, fullUrl and paging links are absolute. Taken from whatever Host header a
client sent, one request with ``Host: evil.example`` would make the server hand out
links to another machine (and a browser page on a rebinding DNS name could read the
answers). So a request whose Host is not in ``--allowed-hosts`` (default: the
listening address and ``localhost``, with the port) is refused with a 400 before any
route runs, and ``--base-url``, when set, builds every link whatever the Host.
The scheme is the connection's own unless a proxy listed in ``--forwarded-allow-ips``
says otherwise with ``X-Forwarded-Proto`` (uvicorn's proxy-headers middleware).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.types import Scope

from server.errors import InvalidRequest
from server.settings import Settings

FHIR_PREFIX = "/fhir"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A registered name or IPv4 address, or a bracketed IPv6 address, and an optional port:
# nothing that could carry a path, user info or a second authority into a link.
_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?")


@dataclass(frozen=True, slots=True)
class _Authority:
    name: str
    port: int | None  # None in an allowed entry: any port


def _parse(text: str) -> _Authority | None:
    matched = _HOST.fullmatch(text.lower())
    if matched is None:
        return None
    port = matched["port"]
    return _Authority(matched["name"], int(port) if port else None)


_ORIGINS_KEPT = 64
_EVERY_ADDRESS = frozenset({"0.0.0.0", "::"})  # noqa: S104 - names, not a bind
_LOOPBACK = ("127.0.0.1", "::1")


def _listening(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class HostPolicy:
    """The Hosts this server answers to, and its public FHIR base for a request."""

    def __init__(self, settings: Settings) -> None:
        self.configured_base = settings.base_url.rstrip("/") if settings.base_url else None
        entries = list(settings.allowed_hosts) or [
            _listening(settings.host, settings.port),
            _listening("localhost", settings.port),
        ]
        if not settings.allowed_hosts and settings.host in _EVERY_ADDRESS:
            # Listening everywhere (in a container, say), it is reached on this machine's
            # loopback address, by number as often as by name.
            entries += [_listening(a, settings.port) for a in _LOOPBACK]
        if self.configured_base:
            entries.append(urlsplit(self.configured_base).netloc)
        self.allowed: frozenset[_Authority] = frozenset(
            parsed for parsed in map(_parse, entries) if parsed is not None
        )
        self._origins: dict[tuple[str, str], str] = {}

    def origin(self, scope: Scope) -> str:
        """``scheme://host`` of a request whose Host is allowed; InvalidRequest otherwise."""
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        text = hosts[0].decode("latin-1") if len(hosts) == 1 else ""
        scheme = str(scope.get("scheme", "http"))
        known = self._origins.get((text, scheme))
        if known is not None:
            return known
        parsed = _parse(text)
        if parsed is not None:
            port = parsed.port or _DEFAULT_PORTS.get(scheme)
            if _Authority(parsed.name, None) in self.allowed or (
                _Authority(parsed.name, port) in self.allowed
            ):
                # Allowed Hosts are few (their spellings, ports): each is parsed once.
                if len(self._origins) >= _ORIGINS_KEPT:
                    self._origins.clear()
                origin = self._origins[(text, scheme)] = f"{scheme}://{text.lower()}"
                return origin
        raise InvalidRequest(
            f"This server does not answer to Host {text!r}; "
            "it is configured with --allowed-hosts (or --base-url)",
            expression="Host",
        )

    def base(self, scope: Scope) -> str:
        """The FHIR base URL as clients see it."""
        return self.configured_base or self.origin(scope) + FHIR_PREFIX


def host_policy(request: Request) -> HostPolicy:
    """The Host policy the app was built with."""
    policy: HostPolicy = request.app.state.hosts
    return policy


def public_base(request: Request) -> str:
    """The FHIR base URL as clients see it (``--base-url``, or scheme and allowed Host)."""
    return host_policy(request).base(request.scope)


def public_request_url(request: Request, query: str | None = None) -> str:
    """This request's URL under the public base; ``query`` replaces the request's own."""
    below = quote(str(request.scope["path"]).removeprefix(FHIR_PREFIX), safe="/$")
    query = request.url.query if query is None else query
    return public_base(request) + below + (f"?{query}" if query else "")

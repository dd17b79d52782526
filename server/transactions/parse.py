"""A transaction or batch Bundle read into its request entries (http.html#transaction).

Everything that can be wrong with an entry on its own (method, url, held type, body,
headers) is found here, before anything is planned; each error names the entry
(``Bundle.entry[3].request.url``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from server.errors import FhirError, InvalidRequest, MethodNotAllowed, NotFound, PayloadTooLarge
from server.fhir.ids import is_fhir_id
from server.registry import Interaction, get_type

FORMAT_PARAMS = frozenset({"_format", "_pretty"})


class BundleKind(StrEnum):
    TRANSACTION = "transaction"
    BATCH = "batch"


class Verb(StrEnum):
    GET = "GET"
    HEAD = "HEAD"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


# http.html#trules: deletes, then creates, then updates and patches, then reads.
ORDER: dict[Verb, int] = {
    Verb.DELETE: 0,
    Verb.POST: 1,
    Verb.PUT: 2,
    Verb.PATCH: 2,
    Verb.GET: 3,
    Verb.HEAD: 3,
}

_INTERACTION = {
    Verb.POST: Interaction.CREATE,
    Verb.PUT: Interaction.UPDATE,
    Verb.PATCH: Interaction.PATCH,
    Verb.DELETE: Interaction.DELETE,
}


@dataclass(slots=True)
class RequestEntry:
    """One ``Bundle.entry`` as a request: what it asks, of which resource."""

    index: int
    verb: Verb
    url: str
    resource_type: str
    resource_id: str | None = None
    version_id: str | None = None  # a GET of one version (vread)
    params: list[tuple[str, str]] | None = None  # the url's query: criteria or a search
    full_url: str | None = None
    resource: dict[str, Any] | None = None
    patch: list[Any] | None = None
    if_none_exist: str | None = None
    if_match: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"Bundle.entry[{self.index}]"

    @property
    def conditional(self) -> bool:
        return self.resource_id is None and self.params is not None

    @property
    def is_write(self) -> bool:
        return self.verb not in (Verb.GET, Verb.HEAD)


@dataclass(slots=True)
class ParsedBundle:
    kind: BundleKind
    entries: list[RequestEntry]
    # Per entry index, the error that makes the entry unusable (batch: answered per entry).
    errors: dict[int, FhirError]


def parse_bundle(document: Any, base_urls: tuple[str, ...], max_entries: int) -> ParsedBundle:
    """Read a transaction or batch Bundle; 400 for any other document, 413 past the limit."""
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise InvalidRequest(
            "POST to the base takes a Bundle of type transaction or batch",
            expression="resourceType",
        )
    kind_text = document.get("type")
    if kind_text not in (BundleKind.TRANSACTION, BundleKind.BATCH):
        raise InvalidRequest(
            f"Bundle.type {kind_text!r} is not transaction or batch", expression="Bundle.type"
        )
    kind = BundleKind(kind_text)
    raw_entries = document.get("entry", [])
    if not isinstance(raw_entries, list):
        raise InvalidRequest("Bundle.entry must be an array", expression="Bundle.entry")
    if len(raw_entries) > max_entries:
        raise PayloadTooLarge(
            f"The Bundle has {len(raw_entries)} entries; this server takes at most {max_entries}",
            expression="Bundle.entry",
            code="too-long",
        )
    entries: list[RequestEntry] = []
    errors: dict[int, FhirError] = {}
    for index, raw in enumerate(raw_entries):
        try:
            entries.append(parse_entry(index, raw, base_urls))
        except FhirError as error:
            if kind is BundleKind.TRANSACTION:
                raise
            errors[index] = error
            entries.append(RequestEntry(index, Verb.GET, "", ""))
    return ParsedBundle(kind, entries, errors)


def parse_entry(index: int, raw: Any, base_urls: tuple[str, ...]) -> RequestEntry:
    """Read one entry; errors name it (``Bundle.entry[i]...``)."""
    where = f"Bundle.entry[{index}]"
    if not isinstance(raw, dict):
        raise InvalidRequest(f"{where} is not an object", expression=where)
    request = raw.get("request")
    if not isinstance(request, dict):
        raise InvalidRequest(f"{where} has no request", expression=f"{where}.request")
    method = request.get("method")
    if not isinstance(method, str) or method not in Verb.__members__:
        raise InvalidRequest(
            f"{where}.request.method {method!r} is not GET, HEAD, POST, PUT, PATCH or DELETE",
            expression=f"{where}.request.method",
        )
    verb = Verb(method)
    url = request.get("url")
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequest(f"{where} has no request.url", expression=f"{where}.request.url")
    entry = _target(index, verb, url.strip(), base_urls)
    full_url = raw.get("fullUrl")
    if full_url is not None and not isinstance(full_url, str):
        raise InvalidRequest(f"{where}.fullUrl is not a string", expression=f"{where}.fullUrl")
    entry.full_url = full_url
    entry.if_none_exist = _string(request, "ifNoneExist", where)
    if_match = _string(request, "ifMatch", where)
    if if_match is not None:
        entry.if_match = _etag(if_match, f"{where}.request.ifMatch")
    if entry.if_none_exist is not None and verb is not Verb.POST:
        raise InvalidRequest(
            f"{where}.request.ifNoneExist is only for POST", expression=f"{where}.request"
        )
    _body(entry, raw.get("resource"))
    return entry


def _target(index: int, verb: Verb, url: str, base_urls: tuple[str, ...]) -> RequestEntry:
    where = f"Bundle.entry[{index}].request.url"
    for base in base_urls:
        if url.startswith(base + "/"):
            url = url[len(base) + 1 :]
            break
    split = urlsplit(url)
    if split.scheme or split.netloc:
        raise InvalidRequest(f"{where} {url!r} is not a URL of this server", expression=where)
    parts = [p for p in split.path.split("/") if p]
    params = (
        [
            (k, v)
            for k, v in parse_qsl(split.query, keep_blank_values=True)
            if k not in FORMAT_PARAMS
        ]
        if split.query or url.endswith("?")
        else None
    )
    if not parts or get_type(parts[0]) is None:
        name = parts[0] if parts else ""
        raise NotFound(f"Resource type {name!r} is not supported by this server", expression=where)
    held = get_type(parts[0])
    assert held is not None
    entry = RequestEntry(index, verb, url, parts[0], params=params)
    if len(parts) >= 2:
        entry.resource_id = parts[1]
    if len(parts) == 4 and parts[2] == "_history" and verb in (Verb.GET, Verb.HEAD):
        entry.version_id = parts[3]
    elif len(parts) > 2 or (parts[1:] and not is_fhir_id(parts[1])):
        raise InvalidRequest(
            f"{where} {url!r} is not Type, Type/id or Type?query", expression=where
        )
    needs = _INTERACTION.get(verb)
    if needs is not None and not held.supports(needs):
        raise MethodNotAllowed(f"{verb} is not allowed on {parts[0]}", expression=where)
    if verb is Verb.POST and (entry.resource_id is not None or params is not None):
        raise InvalidRequest(f"{where}: POST creates at the type's URL", expression=where)
    if verb in (Verb.PUT, Verb.PATCH, Verb.DELETE) and entry.resource_id is None and not params:
        raise InvalidRequest(
            f"{where}: {verb} needs an id or conditional criteria", expression=where
        )
    if verb is Verb.PATCH and entry.resource_id is None:
        raise InvalidRequest(f"{where}: conditional PATCH is not supported", expression=where)
    if verb is Verb.DELETE and params is not None and ("_cascade", "delete") in params:
        entry.extra["cascade"] = True
        params = [p for p in params if p[0] != "_cascade"]
        entry.params = params if params or entry.resource_id is None else None
    return entry


def _body(entry: RequestEntry, resource: Any) -> None:
    where = f"{entry.where}.resource"
    if entry.verb in (Verb.POST, Verb.PUT):
        if not isinstance(resource, dict):
            raise InvalidRequest(f"{entry.where} needs a resource", expression=where)
        entry.resource = resource
    elif entry.verb is Verb.PATCH:
        entry.patch = _json_patch(resource, where)
    elif resource is not None:
        raise InvalidRequest(f"{entry.where}: {entry.verb} takes no resource", expression=where)


def _json_patch(resource: Any, where: str) -> list[Any]:
    """The JSON Patch a PATCH entry carries as a Binary (http.html#patch)."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Binary":
        raise InvalidRequest(
            "A PATCH entry carries a JSON Patch as a Binary "
            "(contentType application/json-patch+json)",
            expression=where,
        )
    content_type = str(resource.get("contentType", "")).split(";")[0].strip()
    if content_type != "application/json-patch+json":
        raise InvalidRequest(
            f"Binary.contentType {content_type!r} is not application/json-patch+json",
            expression=f"{where}.contentType",
        )
    try:
        patch = orjson.loads(base64.b64decode(str(resource.get("data", "")), validate=True))
    except (binascii.Error, ValueError):
        raise InvalidRequest("Binary.data is not base64 JSON", expression=f"{where}.data") from None
    if not isinstance(patch, list):
        raise InvalidRequest("A JSON Patch document must be an array", expression=f"{where}.data")
    return patch


def _string(request: dict[str, Any], name: str, where: str) -> str | None:
    value = request.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(
            f"{where}.request.{name} is not a string", expression=f"{where}.request.{name}"
        )
    return value


def _etag(value: str, where: str) -> int:
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidRequest(f'{value!r} is not a version ETag like W/"3"', expression=where)
    return int(text)

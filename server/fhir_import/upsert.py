"""ndjson resources into the store: upserted by id, a batch of them in one transaction.

A resource with an id is stored under it; one without is matched by its first
identifier (one match: that resource; none: a new id derived from the identifier;
several: refused), and one with neither gets an id derived from its content, so
importing the same file again finds what the first run stored. A resource whose
content equals the stored version (apart from ``meta.versionId`` and
``meta.lastUpdated``) is ``unchanged`` and not written again. Versions are built by
server.versions.next_version as for a client write, without the client write rules
(an import restores records, it does not file new requests).

References to resources that are not stored yet are allowed (a later line or file may
bring them); the ones still missing when the run ends are reported as dangling.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from server.errors import FhirError, InvalidResource, PreconditionFailed
from server.fhir.clock import now_us
from server.fhir_import.check import Checked, Target, with_last_updated
from server.integrity import ReferenceIntegrity
from server.runtime import Runtime
from server.search.index_entries import IndexEntries
from server.storage.port import Method, StoredVersion, VersionConflict, Write
from server.versions import next_version

Key = tuple[str, str]
_ID_NAMESPACE = uuid.UUID("6f0c6b5e-3f55-4b7e-9d59-7a3c2f1e9b10")
_RETRIES = 5
_READ_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class LineResult:
    """What happened to one line or entry: applied, unchanged or rejected."""

    outcome: str
    reference: str | None = None
    detail: dict[str, Any] | None = None  # the OperationOutcome of a rejected line


@dataclass(slots=True)
class _Item:
    index: int
    resource: dict[str, Any]
    entries: IndexEntries | None  # computed by a worker, all but _lastUpdated
    targets: list[Target] | None  # found by a worker
    key: Key | None = None


@dataclass(slots=True)
class DanglingRefs:
    """References not found when written: (target) -> where they were written."""

    pending: dict[Key, list[dict[str, str]]] = field(default_factory=dict)

    def add(self, target: Key, source: str, expression: str, text: str) -> None:
        self.pending.setdefault(target, []).append(
            {"from": source, "element": expression, "reference": text}
        )


def _content(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("meta")
    if isinstance(meta, dict):
        rest = {k: v for k, v in meta.items() if k not in ("versionId", "lastUpdated")}
        body = {k: v for k, v in body.items() if k != "meta"}
        if rest:
            body["meta"] = rest
    return body


def _stamped(entries: IndexEntries, updated: int, _body: dict[str, Any]) -> IndexEntries:
    return with_last_updated(entries, updated)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|").replace("$", "\\$")


class Upserter:
    """Writes validated resources in batches; remembers references still missing."""

    def __init__(self, runtime: Runtime, *, dry_run: bool) -> None:
        self.runtime = runtime
        self.base_urls = runtime.base_urls
        self.dry_run = dry_run
        self.dangling = DanglingRefs()
        # Lenient whatever the server's setting: the run checks what is left at its end.
        self.integrity = ReferenceIntegrity(runtime.store, runtime.base_urls, strict=False)

    async def apply(
        self,
        resources: Sequence[dict[str, Any]],
        checked: Sequence[Checked] | None = None,
    ) -> list[LineResult]:
        """Upsert ``resources`` (each valid); a result for each, in order.

        ``checked``: what a worker found for each (server.fhir_import.check): index
        entries but ``_lastUpdated``, and the references into this server.
        """
        results: list[LineResult | None] = [None] * len(resources)
        batch: list[_Item] = []
        seen: set[Key] = set()
        for index, resource in enumerate(resources):
            found = checked[index] if checked else None
            item = _Item(
                index,
                resource,
                found.index if found else None,
                found.targets if found else None,
            )
            try:
                item.key = await self._key(resource)
            except FhirError as exc:
                results[index] = LineResult("rejected", detail=exc.outcome())
                continue
            if item.key in seen:  # the same resource twice: the earlier one first
                await self._write_batch(batch, results)
                batch, seen = [], set()
            batch.append(item)
            seen.add(item.key)
        await self._write_batch(batch, results)
        return [r if r is not None else LineResult("rejected") for r in results]

    async def _key(self, resource: dict[str, Any]) -> Key:
        resource_type = str(resource["resourceType"])
        if isinstance(resource.get("id"), str):
            return resource_type, resource["id"]
        identifier = next(
            (
                i
                for i in resource.get("identifier") or ()
                if isinstance(i, dict) and i.get("system") and i.get("value")
            ),
            None,
        )
        if identifier is None:
            digest = hashlib.sha256(orjson.dumps(_content(resource), option=orjson.OPT_SORT_KEYS))
            resource["id"] = digest.hexdigest()[:64]
            return resource_type, resource["id"]
        token = f"{_escape(identifier['system'])}|{_escape(identifier['value'])}"
        engine = self.runtime.search
        found = await engine.run(
            engine.parse(resource_type, [("identifier", token), ("_count", "2")], lenient=False)
        )
        ids = [v.id for v in found.page.versions]
        if len(ids) > 1:
            raise PreconditionFailed(
                f"identifier {token} matches several {resource_type} resources",
                expression=f"{resource_type}.identifier[0]",
            )
        resource["id"] = (
            ids[0] if ids else str(uuid.uuid5(_ID_NAMESPACE, f"{resource_type}|{token}"))
        )
        return resource_type, resource["id"]

    async def _write_batch(self, batch: list[_Item], results: list[LineResult | None]) -> None:
        if not batch:
            return
        for _ in range(_RETRIES):
            current = await self.runtime.store.read_many([item.key for item in batch if item.key])
            writes = self._writes(batch, current, results)
            try:
                if writes and not self.dry_run:
                    await self.runtime.store.write(writes)
            except VersionConflict:
                continue  # another writer changed one of them: read again
            await self._note_references(batch, results)
            return
        for item in batch:
            results[item.index] = LineResult(
                "rejected",
                detail=InvalidResource(
                    "Changed by other writers during the import; run it again",
                    code="conflict",
                ).outcome(),
            )

    def _writes(
        self,
        batch: list[_Item],
        current: dict[Key, StoredVersion | None],
        results: list[LineResult | None],
    ) -> list[Write]:
        writes: list[Write] = []
        indexer = self.runtime.service.indexer
        for item in batch:
            assert item.key is not None
            resource_type, resource_id = item.key
            stored = current.get(item.key)
            reference = f"{resource_type}/{resource_id}"
            live = stored if stored is not None and not stored.deleted else None
            if live is not None and _content(orjson.loads(live.body or b"{}")) == _content(
                item.resource
            ):
                results[item.index] = LineResult("unchanged", reference)
                continue
            updated = max(now_us(), stored.last_updated + 1) if stored else now_us()
            prepared = item.entries
            writes.append(
                next_version(
                    resource_type,
                    resource_id,
                    stored,
                    dict(item.resource),
                    Method.PUT,
                    indexer if prepared is None else partial(_stamped, prepared, updated),
                    updated=updated,
                    client_write=True,
                )
            )
            results[item.index] = LineResult("applied", reference)
        return writes

    async def _note_references(self, batch: list[_Item], results: list[LineResult | None]) -> None:
        """Remember the references of what was written whose targets are not stored."""
        if self.dry_run:  # nothing stored to look for
            return
        written = {item.key for item in batch if results[item.index] is not None}
        asked: dict[Key, list[tuple[str, str, str]]] = {}
        for item in batch:
            result = results[item.index]
            if result is None or result.outcome != "applied" or item.key is None:
                continue
            source = f"{item.key[0]}/{item.key[1]}"
            targets = item.targets
            if targets is None:
                targets = self.integrity.targets(item.resource, item.key[0])
            for expression, target, text in targets:
                if target not in written:
                    asked.setdefault(target, []).append((source, expression, text))
        if not asked:
            return
        found = await self.runtime.store.read_many(list(asked))
        for target, places in asked.items():
            version = found.get(target)
            if version is None or version.deleted:
                for source, expression, text in places:
                    self.dangling.add(target, source, expression, text)

    async def still_dangling(self) -> list[dict[str, str]]:
        """The remembered references whose targets are still missing, now the run is done."""
        missing: list[dict[str, str]] = []
        targets = list(self.dangling.pending)
        for start in range(0, len(targets), _READ_CHUNK):
            chunk = targets[start : start + _READ_CHUNK]
            found = await self.runtime.store.read_many(chunk)
            for target in chunk:
                version = found.get(target)
                if version is None or version.deleted:
                    missing.extend(self.dangling.pending[target])
        return missing

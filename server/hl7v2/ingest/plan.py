"""Decide what a mapped message does to the store: per resource, create, update, keep or skip.

Reads only. The plan is turned into compare-and-swap writes by the pipeline; if any
of them loses a race the whole message is planned again from fresh reads.

Rules, per resource (by its deterministic id):
- the stored version came from a newer event (EVN-2/MSH-7, or a REST write's time)
  than this message: kept as it is (``stale``), so a late, older update never
  overwrites a newer one; a resource deleted by a newer event stays deleted (its
  delete marker keeps the time);
- a mapped resource with a field report (mappers.fields) updates the stored one field
  by field (ingest_ownership): what the message did not send is kept; a message
  carrying NK1 or IN1 segments retires the patient's earlier ones it no longer lists;
- the stored content equals the mapped content (meta aside): ``unchanged``, no new
  version, which is what makes re-importing an archive a no-op;
- ``CREATE_ONLY`` resources (a payer Organization) are never overwritten;
- an ``UPDATE`` (ADT^A08/A31) that finds nothing on file creates, with a warning;
- Patient ids merged away are followed to their survivor (ingest_identity);
- a merge moves the record: every resource that references the retired Patient is
  repointed to the survivor in the same write, and a Provenance names the merge
  (ingest_repoint).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from mappers.fields import FieldReport
from mappers.result import Action, MappingResult
from server.hl7v2.ingest.identity import (
    REPLACED_BY,
    REPLACES,
    SEE_ALSO,
    add_link,
    keep_merge_state,
    remove_link,
    rewrite_patient_references,
    survivor_of,
    union_identifiers,
)
from server.hl7v2.ingest.model import Change, Header
from server.hl7v2.ingest.ownership import Owners, merge_fields, owners_of
from server.hl7v2.ingest.provenance import content_of, event_time_of, mark_source, source_uri
from server.hl7v2.ingest.reads import Reader
from server.hl7v2.ingest.repoint import Referrers, merge_provenance
from server.hl7v2.ingest.unchanged import SameAsStored
from server.hl7v2.ingest.visits import carry_visit_history
from server.storage.port import StoredVersion

Key = tuple[str, str]
_PATIENT_REFERENCE = re.compile(rb'"reference":"Patient/([^"]+)"')
_MERGED = f'"{REPLACED_BY}"'.encode()
Patch = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class PlannedResource:
    """One resource of the plan: its final body (unstamped) and what the write will be."""

    resource_type: str
    id: str
    change: Change
    body: dict[str, Any] | None  # None for a delete, or a resource left as stored
    current: StoredVersion | None  # what the compare-and-swap expects
    validated: bool = False  # the body is the mapped resource, validated when prepared
    event_time: int | None = None  # the event the written version comes from
    owners: bytes | None = None  # who owns its parts (None: the stored version's)
    from_mapped: bool = False  # the body is the mapped one, or merged from it and stored

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.id}"


@dataclass(slots=True)
class Plan:
    """Everything one message will do."""

    resources: list[PlannedResource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The Patients the plan read (merges followed), by id: what its writes pin.
    patients: dict[str, StoredVersion | None] = field(default_factory=dict)


@dataclass(slots=True)
class _Target:
    mapped: dict[str, Any] | None = None
    action: Action = Action.UPSERT
    redirected: bool = False
    patches: list[Patch] = field(default_factory=list)
    report: FieldReport | None = None
    only_if_stored: bool = False  # patches for a stored resource; nothing if absent


def _retire_kin(person: dict[str, Any]) -> None:
    person["active"] = False


def _cancel_coverage(coverage: dict[str, Any]) -> None:
    coverage["status"] = "cancelled"


# A repeating segment's set (v2.5 2.10.4): the type its members are, and what a
# member no longer listed becomes (kept, not deleted: claims and consents name them).
_SETS: dict[str, tuple[str, Patch]] = {
    "NK1": ("RelatedPerson", _retire_kin),
    "IN1": ("Coverage", _cancel_coverage),
}


class KnownCreateOnly:
    """Create-only resources (payers, practitioners) known to exist, and their versions.

    The pipeline never overwrites them, so once one was read it need not be read again:
    nearly every message names a few. Bounded; a write through the pipeline to one of
    the keys forgets it. A process-local memo, for a bulk import: a resource deleted or
    changed by another writer meanwhile is not seen (the import would not re-create it).
    """

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self.versions: dict[Key, StoredVersion] = {}

    def get(self, key: Key) -> StoredVersion | None:
        return self.versions.get(key)

    def remember(self, key: Key, version: StoredVersion) -> None:
        if len(self.versions) >= self.limit:
            self.versions.clear()
        self.versions[key] = version

    def forget(self, key: Key) -> None:
        self.versions.pop(key, None)


class _Reads:
    """The store's current versions, read once per plan (many at once with ``fetch``)."""

    def __init__(self, store: Reader) -> None:
        self.store = store
        self.versions: dict[Key, StoredVersion | None] = {}
        self.bodies: dict[Key, dict[str, Any] | None] = {}

    async def fetch(self, keys: list[Key]) -> None:
        """Read every key not read yet, in one round trip."""
        missing = [key for key in keys if key not in self.versions]
        if missing:
            self.versions.update(await self.store.read_many(missing))

    async def version(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        key = (resource_type, resource_id)
        if key not in self.versions:
            self.versions[key] = await self.store.read(resource_type, resource_id)
        return self.versions[key]

    async def merged(self, patient_id: str) -> bool:
        """Whether a Patient may have been merged away: its stored JSON names a
        ``replaced-by`` link (the body need not be parsed to see it has none)."""
        current = await self.version("Patient", patient_id)
        return current is not None and current.body is not None and _MERGED in current.body

    async def body(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        """The current content, or None when absent or deleted."""
        key = (resource_type, resource_id)
        if key not in self.bodies:
            current = await self.version(resource_type, resource_id)
            body = current.body if current is not None else None
            self.bodies[key] = orjson.loads(body) if body is not None else None
        return self.bodies[key]


async def plan_message(
    store: Reader,
    header: Header,
    result: MappingResult,
    *,
    validated: bool = False,
    known: KnownCreateOnly | None = None,
    referrers: Referrers | None = None,
    unchanged: SameAsStored | None = None,
) -> Plan:
    """Return what ``result`` does to the store now (nothing is written).

    ``validated``: every mapped resource was validated already; a body the plan builds
    otherwise (a merge, a stale resource kept) is marked for validation. ``known``:
    create-only resources known to exist, which are then not read. ``referrers``:
    finds the resources a merge moves (without it, a merge only links the Patients).
    ``unchanged``: mapped resources found equal to a stored version before, which are then
    not merged with it again.
    """
    plan = Plan()
    reads = _Reads(store)
    serialized = orjson.dumps([m.resource for m in result.resources])
    # Private copies: the plan sets top-level elements (meta, link, identifier, id) and
    # may run again on a retry; only a redirect (below) rewrites nested references.
    mapped = [(dict(m.resource), m.action) for m in result.resources]
    reports = [m.fields for m in result.resources]
    retired = {old for _, old in result.merges}
    patient_ids = patient_ids_in(serialized, mapped)
    # Everything the plan will read, in one round trip (a merge chain may need more).
    wanted = dict.fromkeys(("Patient", p) for p in sorted(patient_ids))
    for resource, action in mapped:
        key = (str(resource["resourceType"]), str(resource["id"]))
        if known is None or action != Action.CREATE_ONLY or known.get(key) is None:
            wanted[key] = None
    for survivor, old in result.merges:
        wanted.update({("Patient", survivor): None, ("Patient", old): None})
    await reads.fetch(list(wanted))
    moved = await _redirects(reads, patient_ids - retired)
    for old, new in sorted(moved.items()):
        plan.warnings.append(
            f"Patient/{old} was merged into Patient/{new}: applied to the survivor"
        )
    if moved:  # deep copies, then
        copies: list[dict[str, Any]] = orjson.loads(serialized)
        mapped = [(copy, action) for copy, (_, action) in zip(copies, mapped, strict=True)]
    targets: dict[Key, _Target] = {}
    for (resource, action), report in zip(mapped, reports, strict=True):
        if moved:
            rewrite_patient_references(resource, moved)
        redirected = resource.get("resourceType") == "Patient" and resource.get("id") in moved
        if redirected:
            resource["id"] = moved[str(resource["id"])]
        _collate(targets, resource, Action(action), redirected, report)
    repointed: list[Key] = []
    for survivor, old in result.merges:
        final = await _plan_merge(reads, targets, plan, moved.get(survivor, survivor), old)
        if final is not None and referrers is not None:
            repointed += [("Patient", final), ("Patient", old)]
            repointed += _plan_repoint(targets, await referrers(old), old, final)
    _plan_links(targets, result)
    await _plan_sets(reads, targets, header.event_time)
    # Survivors the redirects led to (resources known to exist are not read).
    await reads.fetch([k for k, t in targets.items() if _remembered(known, k, t) is None])
    source = source_uri(header.sender, header.control_id)
    for (resource_type, resource_id), target in targets.items():
        remembered = _remembered(known, (resource_type, resource_id), target)
        if remembered is not None:
            item = PlannedResource(resource_type, resource_id, Change.UNCHANGED, None, remembered)
        else:
            item = await _decide(
                reads, resource_type, resource_id, target, header.event_time, source, unchanged
            )
            if known is not None and target.action is Action.CREATE_ONLY:
                current = item.current
                if current is not None and not current.deleted:
                    known.remember((resource_type, resource_id), current)
        # A stored resource only patched (repointed, retired, linked) stays valid.
        item.validated = (
            validated and not target.patches and item.from_mapped
        ) or target.only_if_stored
        if target.action is Action.UPDATE and item.change is Change.CREATED:
            plan.warnings.append(
                f"{item.reference} was not on file: {header.message_type} created it"
            )
        plan.resources.append(item)
    if repointed:
        await _plan_provenance(reads, plan, header, repointed)
    plan.patients = {key[1]: v for key, v in reads.versions.items() if key[0] == "Patient"}
    return plan


def _plan_links(targets: dict[Key, _Target], result: MappingResult) -> None:
    """Link (ADT^A24) or unlink (A37) two Patients, each both ways (``seealso``)."""
    for pairs, change in ((result.links, add_link), (result.unlinks, remove_link)):
        for first, second in pairs:
            for one, other in ((first, second), (second, first)):
                target = targets.setdefault(("Patient", one), _Target(only_if_stored=True))
                target.patches.append(partial(_relink, change, other))


def _relink(
    change: Callable[[dict[str, Any], str, str], None], other: str, patient: dict[str, Any]
) -> None:
    change(patient, SEE_ALSO, other)


def _plan_repoint(
    targets: dict[Key, _Target], keys: list[Key], old: str, survivor: str
) -> list[Key]:
    """Point every resource in ``keys`` at the survivor instead of the retired Patient."""

    def repoint(body: dict[str, Any]) -> None:
        rewrite_patient_references(body, {old: survivor})

    for key in keys:
        targets.setdefault(key, _Target(only_if_stored=True)).patches.append(repoint)
    return keys


async def _plan_provenance(reads: _Reads, plan: Plan, header: Header, moved: list[Key]) -> None:
    """One Provenance naming the merge and every version it writes."""
    wanted = set(moved)
    written = [
        f"{item.reference}/_history/{item.current.version + 1 if item.current else 1}"
        for item in plan.resources
        if (item.resource_type, item.id) in wanted and item.change.writes
    ]
    if not written:
        return
    source = source_uri(header.sender, header.control_id)
    body = merge_provenance(source, header.sender, header.message_type, written, header.event_time)
    current = await reads.version("Provenance", str(body["id"]))
    mark_source(body, source, header.event_time)
    change = Change.UPDATED if current is not None else Change.CREATED
    plan.resources.append(
        PlannedResource(
            "Provenance", str(body["id"]), change, body, current, event_time=header.event_time
        )
    )


def _remembered(known: KnownCreateOnly | None, key: Key, target: _Target) -> StoredVersion | None:
    """The version of a create-only target known to exist, which need not be read."""
    if known is None or target.action is not Action.CREATE_ONLY or target.patches:
        return None
    return known.get(key)


def patient_ids_in(serialized: bytes, mapped: list[tuple[dict[str, Any], Action]]) -> set[str]:
    """Every Patient id the mapped resources are or point to (read off their JSON)."""
    found = {m.decode() for m in _PATIENT_REFERENCE.findall(serialized)}
    found.update(str(r["id"]) for r, _ in mapped if r.get("resourceType") == "Patient")
    return found


async def _redirects(reads: _Reads, patient_ids: set[str]) -> dict[str, str]:
    moved: dict[str, str] = {}
    for patient_id in sorted(patient_ids):
        if not await reads.merged(patient_id):
            continue
        survivor = await survivor_of(patient_id, reads.body)
        if survivor != patient_id:
            moved[patient_id] = survivor
    return moved


def _collate(
    targets: dict[Key, _Target],
    resource: dict[str, Any],
    action: Action,
    redirected: bool,
    report: FieldReport | None,
) -> None:
    """Add a mapped resource; the same id twice in one message keeps one (an upsert wins)."""
    key = (str(resource["resourceType"]), str(resource["id"]))
    held = targets.get(key)
    if (
        held is None
        or held.mapped is None
        or (held.action is Action.CREATE_ONLY and action is not Action.CREATE_ONLY)
    ):
        patches = held.patches if held else []
        targets[key] = _Target(resource, action, redirected, patches, report)


async def _plan_merge(
    reads: _Reads, targets: dict[Key, _Target], plan: Plan, survivor: str, old: str
) -> str | None:
    """Retire ``old`` into the survivor; return the survivor's id (None: nothing to do)."""
    survivor = await survivor_of(survivor, reads.body)
    if survivor == old:
        plan.warnings.append(f"Merge of Patient/{old} into itself ignored")
        return None
    old_body = await reads.body("Patient", old)
    old_ids = [{**i, "use": "old"} for i in (old_body or {}).get("identifier", [])]

    def retire(patient: dict[str, Any]) -> None:
        patient["active"] = False
        add_link(patient, REPLACED_BY, survivor)

    def absorb(patient: dict[str, Any]) -> None:
        # What the survivor does not say it takes from the retired record (an A47's new
        # identifier arrives with nothing else), so no part of the record is left behind.
        for key, value in (old_body or {}).items():
            if key not in _NOT_INHERITED:
                patient.setdefault(key, value)
        add_link(patient, REPLACES, old)
        patient["identifier"] = union_identifiers(patient.get("identifier", []), old_ids)

    retired_target = targets.setdefault(("Patient", old), _Target())
    # The retired record's content stays what it was; the merge only retires it.
    retired_target.mapped = None
    retired_target.patches.append(retire)
    targets.setdefault(("Patient", survivor), _Target()).patches.append(absorb)
    return survivor


_NOT_INHERITED = frozenset({"id", "meta", "link", "active", "identifier", "text"})


async def _plan_sets(reads: _Reads, targets: dict[Key, _Target], event_time: int | None) -> None:
    """Retire the members of a patient's NK1/IN1 set that a newer set no longer lists."""
    for (resource_type, resource_id), target in list(targets.items()):
        report = target.report
        if report is None or not report.sets or target.mapped is None:
            continue
        current = await reads.version(resource_type, resource_id)
        if current is None or _is_stale(
            current, await reads.body(*(resource_type, resource_id)), event_time
        ):
            continue
        previous = Owners.decode(current.owners).sets
        for segment, members in report.sets.items():
            member_type, retire = _SETS[segment]
            for gone in sorted(set(previous.get(segment, ())) - set(members)):
                held = targets.setdefault((member_type, gone), _Target(only_if_stored=True))
                held.patches.append(retire)
    await reads.fetch([k for k, t in targets.items() if t.only_if_stored])


def _stored_time(current: StoredVersion | None, stored: dict[str, Any] | None) -> int | None:
    """The event time of the stored version (a REST write's is its own time)."""
    if current is None:
        return None
    if current.event_time is not None:
        return current.event_time
    return event_time_of(stored) if stored is not None else None


def _is_stale(
    current: StoredVersion | None, stored: dict[str, Any] | None, event_time: int | None
) -> bool:
    stored_time = _stored_time(current, stored)
    return stored_time is not None and event_time is not None and stored_time > event_time


async def _decide(
    reads: _Reads,
    resource_type: str,
    resource_id: str,
    target: _Target,
    event_time: int | None,
    source: str,
    unchanged: SameAsStored | None = None,
) -> PlannedResource:
    current = await reads.version(resource_type, resource_id)
    same = _same_key(unchanged, resource_type, resource_id, current, target, event_time)
    if same is not None and unchanged is not None and same in unchanged:
        return PlannedResource(
            resource_type,
            resource_id,
            Change.UNCHANGED,
            None,
            current,
            event_time=event_time,
            from_mapped=True,
        )
    stored = await reads.body(resource_type, resource_id)
    # A deleted resource's time is its delete marker's: a late, older update must not
    # bring back what a newer message (or a REST delete) deleted.
    stored_time = _stored_time(current, stored)
    stale = _is_stale(current, stored, event_time)
    owners: bytes | None = None
    merged_owners: Owners | None = None
    from_mapped = False

    def planned(change: Change, body: dict[str, Any] | None) -> PlannedResource:
        return PlannedResource(
            resource_type,
            resource_id,
            change,
            body,
            current,
            event_time=written_time,
            owners=owners,
            from_mapped=from_mapped,
        )

    written_time = event_time

    if target.action is Action.DELETE:
        if stored is None:
            return planned(Change.UNCHANGED, None)
        return planned(Change.STALE if stale else Change.DELETED, None)
    if stale and stored is None:
        return planned(Change.STALE, None)
    if target.action is Action.CREATE_ONLY and stored is not None:
        return planned(Change.UNCHANGED, None)
    if target.only_if_stored and stored is None:
        return planned(Change.UNCHANGED, None)
    if target.mapped is not None and not stale:
        body = target.mapped
        from_mapped = True
        report = target.report
        if report is not None and target.action is not Action.CREATE_ONLY:
            held = Owners.decode(current.owners if current is not None else None)
            if stored is not None:
                body, merged_owners = merge_fields(body, report, stored, held)
            else:
                merged_owners = owners_of(body, report, held)
        if resource_type == "Patient" and stored is not None:
            keep_merge_state(body, stored, target.redirected)
        if resource_type == "Encounter" and stored is not None:
            carry_visit_history(body, stored)
    elif stored is not None:
        # A private copy to patch, parsed again from the stored bytes ``stored`` came from.
        assert current is not None
        assert current.body is not None
        body = orjson.loads(current.body)
        written_time = stored_time
    else:
        body = {"resourceType": resource_type, "id": resource_id}
        written_time = event_time
    for patch in target.patches:
        patch(body)
    if stored is not None and content_of(body) == content_of(stored):
        if same is not None and unchanged is not None:
            unchanged.add(same)
        return planned(Change.STALE if stale and target.mapped else Change.UNCHANGED, None)
    if merged_owners is not None:  # kept only beside a version that is written
        owners = merged_owners.encode()
    mark_source(body, source, written_time)
    return planned(Change.CREATED if stored is None else Change.UPDATED, body)


def _same_key(
    unchanged: SameAsStored | None,
    resource_type: str,
    resource_id: str,
    current: StoredVersion | None,
    target: _Target,
    event_time: int | None,
) -> bytes | None:
    """The key of ``unchanged`` for a mapped resource merged into a stored version not newer
    than the message (whose event time the version keeps), with nothing else to apply;
    None when the plan must decide the whole way."""
    if (
        unchanged is None
        or target.mapped is None
        or target.action not in (Action.UPSERT, Action.UPDATE)
        or target.patches
        or target.only_if_stored
        or current is None
        or current.body is None
        or current.event_time is None
        or (event_time is not None and current.event_time > event_time)
    ):
        return None
    return unchanged.key(
        resource_type, resource_id, current.version, target.redirected, target.mapped, target.report
    )

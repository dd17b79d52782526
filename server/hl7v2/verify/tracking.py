"""Which message's value each stored element must hold, and the comparison with the store.

Messages arrive in archive order. For each unit (a resource's element, or a field's
parts, ``expectations.Check.unit``) only the latest message that sent it, by event
time (then archive order, as the import decides staleness), must be found in the
store; an earlier one is settled against that later message at once: the same value
is ``matched``, another is explained by the later message. So the store is read
once per resource, in batches, after the whole archive, and a version history only
for a value the store does not hold (``attribution``).

Where a message wrote comes from its ledger entry (``touched``); a Patient it did not
write follows the merges of the archive so far, as the import redirected it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from server.hl7v2.ingest.identity import rewrite_patient_references
from server.hl7v2.verify.attribution import Attributor
from server.hl7v2.verify.expectations import Check, Kind, ResourceChecks, expecting
from server.hl7v2.verify.report import Sent, VerifyReport
from server.hl7v2.verify.values import Stored, actual, holds
from server.storage.port import Store

Key = tuple[str, str]  # (type, id)
Complete = Callable[[], list[ResourceChecks]] | None
_READ_BATCH = 500
_MAY_NAME_A_PATIENT = frozenset({Kind.VALUE, Kind.ELEMENT})
_MAX_HOPS = 16


@dataclass(frozen=True, slots=True)
class Held:
    """The checks of one unit from the latest message that sent it."""

    sent: Sent
    checks: tuple[Check, ...]


class Tracker:
    """Settles every check of an archive's applied messages into a report."""

    def __init__(self, report: VerifyReport) -> None:
        self.report = report
        self.holders: dict[tuple[str, str, str], Held] = {}
        self.moved: dict[str, str] = {}  # retired Patient id -> survivor (archive merges)

    def add(self, sent: Sent, resources: list[ResourceChecks], complete: Complete = None) -> None:
        """Take the checks of one applied message.

        ``complete`` gives all its checks when ``resources`` leaves out those of
        create-only resources and the message created one.
        """
        merged: list[tuple[str, str]] = []
        for index, item in enumerate(resources):
            # A merge's check is on the retired Patient itself, not where it leads.
            merge = any(check.kind == Kind.MERGED for check in item.checks)
            target = item.resource_id if merge else self._target(*item[:2], sent)
            if item.create_only and f"{item.resource_type}/{target}" not in sent.touched:
                continue  # an earlier message created it; this one did not write it
            if item.create_only and not item.checks and complete is not None:
                item = complete()[index]
            units: defaultdict[str, list[Check]] = defaultdict(list)
            for check in item.checks:
                if check.kind == Kind.MERGED:
                    survivor = self._follow(str(check.expected))
                    if survivor == target:
                        continue  # a merge into itself, which the import ignores
                    check = expecting(check, survivor)
                    merged.append((target, survivor))
                elif self.moved and check.kind in _MAY_NAME_A_PATIENT:
                    check = self._redirected(check)
                units[check.unit].append(check)
            for unit, checks in units.items():
                self._hold((item.resource_type, target, unit), Held(sent, tuple(checks)))
        for retired, survivor in merged:
            if retired != survivor:
                self.moved[retired] = survivor

    def _redirected(self, check: Check) -> Check:
        """The check with its references to merged-away Patients pointing at the survivors,
        as the import rewrote them for a message after the merge."""
        data = orjson.dumps(check.expected)
        if b'"Patient/' not in data:
            return check
        value = orjson.loads(data)
        rewrite_patient_references(value, {old: self._follow(old) for old in self.moved})
        return expecting(check, value)

    def _target(self, resource_type: str, resource_id: str, sent: Sent) -> str:
        if resource_type != "Patient" or f"Patient/{resource_id}" in sent.touched:
            return resource_id
        return self._follow(resource_id)

    def _follow(self, patient_id: str) -> str:
        current = patient_id
        for _ in range(_MAX_HOPS):
            following = self.moved.get(current)
            if following is None or following == patient_id:
                break
            current = following
        return current

    def _hold(self, key: tuple[str, str, str], new: Held) -> None:
        held = self.holders.get(key)
        if held is None:
            self.holders[key] = new
        elif held.sent.order <= new.sent.order:
            self._settle(held, new, f"{key[0]}/{key[1]}")
            self.holders[key] = new
        else:
            self._settle(new, held, f"{key[0]}/{key[1]}")

    def _settle(self, earlier: Held, later: Held, reference: str) -> None:
        """Checks a later message replaced: the same value matches, another is explained."""
        by_label = {check.label: check for check in later.checks}
        for check in earlier.checks:
            other = by_label.get(check.label)
            if other is None and check.kind == Kind.VALUE:
                other = later.checks[0]
            if other is not None and _same(check, other):
                self.report.matched(earlier.sent, check)
            else:
                self.report.explain(earlier.sent, reference, check, later.sent.names())

    async def finish(self, store: Store) -> None:
        """Compare what the latest messages sent with the store (batched reads)."""
        by_resource: defaultdict[Key, list[Held]] = defaultdict(list)
        for (resource_type, resource_id, _), held in self.holders.items():
            by_resource[(resource_type, resource_id)].append(held)
        self.holders.clear()
        attributor = Attributor(store)
        keys = list(by_resource)
        for start in range(0, len(keys), _READ_BATCH):
            chunk = keys[start : start + _READ_BATCH]
            found = await store.read_many(chunk)
            for key in chunk:
                current = Stored.of(key[0], found.get(key))
                for held in by_resource.pop(key):
                    for check in held.checks:
                        await self._compare(attributor, key, held.sent, check, current)

    async def _compare(
        self, attributor: Attributor, key: Key, sent: Sent, check: Check, current: Stored
    ) -> None:
        if holds(check, current):
            self.report.matched(sent, check)
            return
        reference = f"{key[0]}/{key[1]}"
        finding = await attributor.explain(key[0], key[1], sent, check, current)
        if finding.changed_by is not None:
            self.report.explain(sent, reference, check, finding.changed_by)
        else:
            self.report.mismatch(sent, reference, check, actual(check, current), finding.reason)


def _same(check: Check, other: Check) -> bool:
    return check.kind == other.kind and check.fingerprint == other.fingerprint

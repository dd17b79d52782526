"""A large write leaves exactly the index rows that the same writes, one job each, leave.

Jobs of ``BULK_UNINDEX`` writes or more clear the replaced resources' index rows up
front instead of through the per-row trigger (server.storage.sqlite.index). Property:
for random records of the types a merge moves, pointing at random patients, and random
updates of them (some resources updated twice in one job, some new ones created), the
index tables after one large job equal those after the writes applied one by one.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.storage.port import Write
from server.storage.sqlite.index import BULK_UNINDEX
from server.storage.sqlite.schema import INDEX_COLUMNS
from tests.direct_store import indexed, opened_sqlite
from tests.merge.race import records_of

PATIENTS = ("p1", "p2", "p3")


def _record(kind: int, n: int, patient: str, status: str) -> dict[str, Any]:
    record = records_of(patient, 3)[kind]
    record["id"] = f"r{n}"
    record["status"] = status
    return record


# (kind, patient, status) per record: first versions, then a job of changes.
_FIELDS = st.tuples(
    st.integers(0, 2),
    st.sampled_from(PATIENTS),
    st.sampled_from(("active", "booked", "cancelled", "draft")),
)


def _rows(path: Path) -> list[tuple[Any, ...]]:
    """Every index row, named by resource and parameter code instead of rid and key."""
    conn = sqlite3.connect(path)
    try:
        found: list[tuple[Any, ...]] = []
        for table, columns in INDEX_COLUMNS.items():
            values = [c for c in columns if c not in ("rid", "p", "pr", "pd")]
            keys = ("pr", "pd") if table == "idx_ref_date" else ("p",)
            codes = ", ".join(f"(SELECT code FROM search_param WHERE p = t.{k})" for k in keys)
            selected = ", ".join(f"t.{c}" for c in values)
            query = (
                f"SELECT r.type, r.id, {codes}, {selected} FROM {table} t "
                "JOIN resource r ON r.rid = t.rid"
            )
            found += [(table, *row) for row in conn.execute(query)]
        return sorted(found, key=repr)
    finally:
        conn.close()


async def _apply(path: Path, first: list[Write], job: list[Write], one_by_one: bool) -> None:
    async with opened_sqlite(path) as store:
        await store.write(first)
        if one_by_one:
            for write in job:
                await store.write([write])
        else:
            await store.write(job)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seeded=st.lists(_FIELDS, min_size=BULK_UNINDEX, max_size=BULK_UNINDEX + 10),
    changes=st.lists(_FIELDS, min_size=BULK_UNINDEX + 5, max_size=BULK_UNINDEX + 30),
    again=st.sets(st.integers(0, BULK_UNINDEX - 1), max_size=5),
)
def test_one_large_job_indexes_as_the_same_writes_one_by_one(
    seeded: list[tuple[int, str, str]],
    changes: list[tuple[int, str, str]],
    again: set[int],
) -> None:
    first = [indexed(_record(k, n, p, s)) for n, (k, p, s) in enumerate(seeded)]
    versions = {n: 1 for n in range(len(seeded))}
    job: list[Write] = []
    for n, (kind, patient, status) in enumerate(changes):
        if n < len(seeded):
            kind = seeded[n][0]  # a resource keeps its type
        versions[n] = versions.get(n, 0) + 1
        job.append(indexed(_record(kind, n, patient, status), version=versions[n]))
        if n in again:  # a second version in the same job
            versions[n] += 1
            job.append(indexed(_record(kind, n, PATIENTS[0], "cancelled"), version=versions[n]))
    with tempfile.TemporaryDirectory() as folder:
        bulk, single = Path(folder) / "bulk.sqlite3", Path(folder) / "single.sqlite3"
        asyncio.run(_apply(bulk, first, job, one_by_one=False))
        asyncio.run(_apply(single, first, job, one_by_one=True))

        assert _rows(bulk) == _rows(single)

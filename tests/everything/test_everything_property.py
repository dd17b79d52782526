"""Property: on random records, $everything paged to its end is the brute-force record.

Random patients, practitioners, organizations and locations, and members of the Patient
compartment (Encounters, Appointments with several actors, Coverages) referring to them,
some deleted; then ``$everything`` of each patient and of all patients with a random
``_count`` and ``_type``, next links followed to the end. The oracle is computed from the
generated references, not from the server's compartment code: the patient, every live
member naming it, and the directory resources those name. Every page but the last is
full, no page is empty unless it is the only one, and nothing comes twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.app import create_app
from server.settings import Settings
from tests.everything.records import (
    appointment,
    coverage,
    encounter,
    location,
    organization,
    patient,
    practitioner,
    put_all,
    walk,
)

PATIENTS = ["p0", "p1", "p2"]
DOCTORS = ["d0", "d1", "d2"]
PAYERS = ["o0", "o1"]
WARDS = ["w0", "w1"]
TYPES = [
    "Patient",
    "Encounter",
    "Appointment",
    "Coverage",
    "Practitioner",
    "Organization",
    "Location",
]

members_st = st.lists(
    st.one_of(
        st.tuples(
            st.just("Encounter"),
            st.sampled_from(PATIENTS),
            st.none() | st.sampled_from(DOCTORS),
            st.none() | st.sampled_from(WARDS),
        ),
        st.tuples(
            st.just("Appointment"),
            st.lists(
                st.sampled_from(
                    [f"Patient/{p}" for p in PATIENTS] + [f"Practitioner/{d}" for d in DOCTORS]
                ),
                min_size=1,
                max_size=3,
                unique=True,
            ),
        ),
        st.tuples(st.just("Coverage"), st.sampled_from(PATIENTS), st.sampled_from(PAYERS)),
    ),
    max_size=14,
)


def build(index: int, member: tuple[Any, ...]) -> dict[str, Any]:
    kind, *args = member
    rid = f"m{index}"
    if kind == "Encounter":
        return encounter(rid, args[0], doctor=args[1], ward=args[2])
    if kind == "Appointment":
        return appointment(rid, *args[0])
    return coverage(rid, args[0], args[1])


def links(body: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The patients a member belongs to and the directory resources it names."""
    references: list[str] = []
    if body["resourceType"] == "Encounter":
        references.append(body["subject"]["reference"])
        references += [p["individual"]["reference"] for p in body.get("participant", ())]
        references += [loc["location"]["reference"] for loc in body.get("location", ())]
    elif body["resourceType"] == "Appointment":
        references += [p["actor"]["reference"] for p in body["participant"]]
    else:
        references += [body["beneficiary"]["reference"], *(p["reference"] for p in body["payor"])]
    owners = {r.removeprefix("Patient/") for r in references if r.startswith("Patient/")}
    return owners, {r for r in references if not r.startswith("Patient/")}


def brute_force(
    patient_id: str, doctors: dict[str, str | None], live: list[dict[str, Any]], types: set[str]
) -> list[str]:
    record = {f"Patient/{patient_id}"}
    if doctors[patient_id] is not None:
        record.add(f"Practitioner/{doctors[patient_id]}")
    for body in live:
        owners, named = links(body)
        if patient_id in owners:
            record |= {f"{body['resourceType']}/{body['id']}", *named}
    return sorted(r for r in record if r.split("/")[0] in types)


@dataclass(frozen=True)
class Case:
    """One example: the patients' practitioners, the members, which are deleted, the query."""

    gps: list[str | None]
    members: list[tuple[Any, ...]]
    deleted: set[int]
    count: int
    types: list[str] | None


cases = st.builds(
    Case,
    gps=st.lists(st.none() | st.sampled_from(DOCTORS), min_size=3, max_size=3),
    members=members_st,
    deleted=st.sets(st.integers(0, 13), max_size=4),
    count=st.integers(1, 7),
    types=st.none() | st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True),
)


async def scenario(store_url: str, case: Case) -> None:
    gps, members, count, types = case.gps, case.members, case.count, case.types
    deleted = {i for i in case.deleted if i < len(members)}
    settings = Settings(
        store=store_url, seed=False, host="127.0.0.1", port=8080, allowed_hosts=("testserver",)
    )
    app = create_app(settings)
    doctors = dict(zip(PATIENTS, gps, strict=True))
    bodies = [build(i, m) for i, m in enumerate(members)]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            directory = [practitioner(d) for d in DOCTORS] + [organization(o) for o in PAYERS]
            directory += [location(w) for w in WARDS]
            await put_all(http, [*directory, *(patient(p, doctors[p]) for p in PATIENTS), *bodies])
            for i in sorted(deleted):
                response = await http.delete(f"/fhir/{bodies[i]['resourceType']}/m{i}")
                assert response.status_code in (200, 204)
            live = [b for i, b in enumerate(bodies) if i not in deleted]
            wanted = set(types or TYPES)
            query = f"_count={count}" + (f"&_type={','.join(types)}" if types else "")
            every: Counter[str] = Counter()
            for patient_id in PATIENTS:
                pages = await walk(http, f"/fhir/Patient/{patient_id}/$everything?{query}")
                check_pages(pages, count)
                found = [item for page in pages for item in page]
                assert sorted(found) == brute_force(patient_id, doctors, live, wanted)
                every.update(found)
            pages = await walk(http, f"/fhir/Patient/$everything?{query}")
            check_pages(pages, count)
            assert Counter(item for page in pages for item in page) == every


def check_pages(pages: list[list[str]], count: int) -> None:
    assert all(len(page) == count for page in pages[:-1])
    assert pages[-1] or len(pages) == 1, "an empty page after others"
    assert len(pages[-1]) <= count


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases)
def test_everything_is_the_brute_force_record(kind: str, tmp_path: Path, case: Case) -> None:
    store_url = (
        f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite3'}" if kind == "sqlite" else "memory://"
    )
    asyncio.run(scenario(store_url, case))

"""Property: a patient/ token never receives a resource outside its patient's compartment,
nor one of a type its scopes do not cover, whatever it asks.

Random data sets (patients, their Claims with payees, Appointments with several
actors, Organizations; updates that move resources between patients; deletions) and
random patient/ tokens; then reads, vreads, searches with random _include/_revinclude
(:iterate), chains and _has, paging links followed to the end, history at every level,
compartment searches and $disclosures. The oracle reads each returned resource's own
references, independently of the server's compartment code.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.auth.scopes import parse_scopes
from tests.auth.smart_app import ADMIN, bearer, claim, organization, patient, smart_client

PATIENTS = ["p0", "p1", "p2"]
ORGS = ["o0", "o1"]
TYPES = ["Patient", "Claim", "Appointment", "Organization"]
SCOPE_CHOICES = [
    "patient/*.rs",
    "patient/*.read",
    "patient/Claim.rs",
    "patient/Patient.read",
    "patient/Appointment.rs",
    "patient/Organization.rs",
    "patient/Claim.rs?status=active",
    "patient/Appointment.s",
    "patient/Claim.r",
]


def appointment(aid: str, actors: list[str]) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": aid,
        "status": "booked",
        "participant": [
            {"actor": {"reference": f"Patient/{a}"}, "status": "accepted"} for a in actors
        ],
    }


def claim_of(cid: str, owner: str, payee: str | None, status: str, org: str) -> dict[str, Any]:
    body = claim(cid, owner, payee=payee, status=status)
    body["provider"] = {"reference": f"Organization/{org}"}
    return body


patients_st = st.sampled_from(PATIENTS)
claims_st = st.builds(
    lambda owner, payee, status, org: ("Claim", (owner, payee, status, org)),
    patients_st,
    st.none() | patients_st,
    st.sampled_from(["active", "cancelled"]),
    st.sampled_from(ORGS),
)
appointments_st = st.builds(
    lambda actors: ("Appointment", tuple(actors)),
    st.lists(patients_st, min_size=1, max_size=2, unique=True),
)
records_st = st.lists(claims_st | appointments_st, min_size=1, max_size=6)
changes_st = st.lists(
    st.tuples(st.sampled_from(["move", "delete"]), st.integers(0, 5), patients_st), max_size=3
)

_INCLUDES = {
    "Claim": ["Claim:patient", "Claim:payee", "Claim:provider", "*"],
    "Appointment": ["Appointment:actor", "Appointment:patient", "*"],
    "Patient": [],
    "Organization": [],
}
_REVINCLUDES = {
    "Patient": ["Claim:patient", "Claim:payee", "Appointment:actor", "*"],
    "Organization": ["Claim:provider", "*"],
    "Claim": [],
    "Appointment": [],
}
_FILTERS = {
    "Claim": [
        ("patient.name", "alpha"),
        ("payee:Patient.name", "beta"),
        ("provider.name", "org"),
        ("status", "active"),
        ("patient", "Patient/p1"),
    ],
    "Appointment": [("actor:Patient.name", "alpha"), ("patient", "Patient/p0")],
    "Patient": [
        ("_has:Claim:patient:status", "active"),
        ("_has:Appointment:actor:status", "booked"),
        ("_has:Claim:payee:patient.name", "beta"),
        ("name", "a"),
    ],
    "Organization": [("_has:Claim:provider:patient.name", "alpha")],
}


@st.composite
def search_st(draw: st.DrawFn) -> str:
    resource_type = draw(st.sampled_from(TYPES))
    params: list[str] = [f"_count={draw(st.integers(1, 3))}"]
    for include in draw(st.lists(st.sampled_from(_INCLUDES[resource_type] or ["-"]), max_size=2)):
        if include != "-":
            iterate = ":iterate" if draw(st.booleans()) else ""
            params.append(f"_include{iterate}={include}")
    for rev in draw(st.lists(st.sampled_from(_REVINCLUDES[resource_type] or ["-"]), max_size=2)):
        if rev != "-":
            iterate = ":iterate" if draw(st.booleans()) else ""
            params.append(f"_revinclude{iterate}={rev}")
    for name, value in draw(st.lists(st.sampled_from(_FILTERS[resource_type]), max_size=2)):
        params.append(f"{name}={value}")
    if draw(st.booleans()):
        params.append("_total=accurate")
    return f"/fhir/{resource_type}?" + "&".join(params)


def requests_st(ids: list[tuple[str, str]]) -> st.SearchStrategy[list[str]]:
    target = st.sampled_from(ids)
    one = st.one_of(
        search_st(),
        target.map(lambda k: f"/fhir/{k[0]}/{k[1]}"),
        target.map(lambda k: f"/fhir/{k[0]}/{k[1]}/_history/1"),
        target.map(lambda k: f"/fhir/{k[0]}/{k[1]}/_history"),
        st.sampled_from(TYPES).map(lambda t: f"/fhir/{t}/_history?_count=2"),
        st.just("/fhir/_history?_count=3"),
        st.tuples(patients_st, st.sampled_from(["Claim", "Appointment", "Patient"])).map(
            lambda pt: f"/fhir/Patient/{pt[0]}/{pt[1]}?_count=2"
        ),
        patients_st.map(lambda p: f"/fhir/Patient/{p}/$disclosures"),
    )
    return st.lists(one, min_size=4, max_size=10)


def in_compartment(resource: dict[str, Any], pid: str) -> bool:
    """The oracle: the patient's compartment, from the resource's own references."""
    me = f"Patient/{pid}"
    kind = resource["resourceType"]
    if kind == "Patient":
        return bool(resource["id"] == pid)
    if kind == "Claim":
        payee = (resource.get("payee") or {}).get("party", {}).get("reference")
        return me in (resource["patient"]["reference"], payee)
    if kind == "Appointment":
        return any(p["actor"]["reference"] == me for p in resource["participant"])
    # Organization is in no patient's compartment; nothing else of this data set is
    # about a patient (AuditEvents of $disclosures: none was made), so none may be shown.
    return kind not in ("AuditEvent", "Provenance", "Consent", "Task")


def covered(scope: str, resource_type: str) -> bool:
    return any(s.resource_type in (None, resource_type) and set(s.letters) & {"r", "s"}
               for s in parse_scopes(scope))  # fmt: skip


async def _scenario(
    store_url: str,
    tmp_path: Path,
    records: list[tuple[str, tuple[Any, ...]]],
    changes: list[tuple[str, int, str]],
    scope: str,
    launch: str,
    draw_requests: Any,
) -> None:
    async with smart_client(store_url, tmp_path) as http:
        admin = bearer(ADMIN)
        bodies: list[dict[str, Any]] = [
            patient(p, "Alpha" if p == "p0" else "Beta") for p in PATIENTS
        ]
        bodies += [organization(o) for o in ORGS]
        # The coverage every claim's insurance names (references must resolve).
        bodies.append(
            {
                "resourceType": "Coverage",
                "id": "cov1",
                "status": "active",
                "beneficiary": {"reference": "Patient/p0"},
                "payor": [{"reference": f"Organization/{ORGS[0]}"}],
            }
        )
        for n, (kind, args) in enumerate(records):
            if kind == "Claim":
                bodies.append(claim_of(f"c{n}", *args))
            else:
                bodies.append(appointment(f"a{n}", list(args)))
        for body in bodies:
            path = f"/fhir/{body['resourceType']}/{body['id']}"
            written = await http.put(path, json=body, headers=admin)
            assert written.status_code in (200, 201), written.text
        record_bodies = bodies[len(PATIENTS) + len(ORGS) + 1 :]
        deleted: dict[tuple[str, str], dict[str, Any]] = {}
        for action, index, to in changes:
            body = dict(record_bodies[index % len(record_bodies)])
            key = (body["resourceType"], body["id"])
            if key in deleted:
                continue
            path = f"/fhir/{key[0]}/{key[1]}"
            if action == "delete":
                current = (await http.get(path, headers=admin)).json()
                deleted[key] = current
                await http.delete(path, headers=admin)
            elif key[0] == "Claim":
                body["patient"] = {"reference": f"Patient/{to}"}
                await http.put(path, json=body, headers=admin)
        ids = [(b["resourceType"], b["id"]) for b in bodies]
        headers = bearer(scope, launch)
        for url in draw_requests(requests_st(ids)):
            pages = 0
            next_url: str | None = url
            while next_url and pages < 20:
                pages += 1
                response = await http.get(next_url, headers=headers)
                next_url = None
                if response.status_code != 200:
                    assert response.status_code in (403, 404, 410), (url, response.text)
                    continue
                body = response.json()
                for resource, entry in _returned(body):
                    if resource is None:  # a deletion in a history
                        kind, rid = entry["request"]["url"].split("/")[:2]
                        before = deleted.get((kind, rid))
                        assert before is not None, (url, entry)
                        assert in_compartment(before, launch), (url, entry)
                        continue
                    assert covered(scope, resource["resourceType"]), (url, scope, resource)
                    assert in_compartment(resource, launch), (url, scope, launch, resource)
                if body.get("resourceType") == "Bundle":
                    links = {ln["relation"]: ln["url"] for ln in body.get("link", [])}
                    next_url = links.get("next", "").replace("http://testserver", "") or None


def _returned(body: dict[str, Any]) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
    if body.get("resourceType") != "Bundle":
        return [(body, {})]
    found: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
    for entry in body.get("entry", []):
        resource = entry.get("resource")
        if resource is not None and resource.get("resourceType") == "OperationOutcome":
            continue
        found.append((resource, entry))
    return found


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=records_st,
    changes=changes_st,
    scopes=st.lists(st.sampled_from(SCOPE_CHOICES), min_size=1, max_size=3, unique=True),
    launch=patients_st,
    data=st.data(),
)
def test_a_patient_token_sees_only_its_compartment(
    kind: str,
    tmp_path: Path,
    records: list[tuple[str, tuple[Any, ...]]],
    changes: list[tuple[str, int, str]],
    scopes: list[str],
    launch: str,
    data: st.DataObject,
) -> None:
    store_url = (
        f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite3'}" if kind == "sqlite" else "memory://"
    )
    scope = " ".join(scopes)
    asyncio.run(_scenario(store_url, tmp_path, records, changes, scope, launch, data.draw))

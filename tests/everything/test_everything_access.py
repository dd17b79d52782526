"""$everything under access control: a patient/ token sees its own record, of its types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import bearer, put_all, smart_client
from tests.everything.records import walk
from tests.everything.test_everything import ALICE, RECORDS

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        await put_all(client, RECORDS)
        yield client


async def everything(
    http: httpx.AsyncClient, url: str, scope: str, patient: str | None = "alice"
) -> set[str]:
    pages = await walk(http, url, bearer(scope, patient=patient))
    return {item for page in pages for item in page}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param("patient/*.rs", ALICE, id="all-types"),
        pytest.param(
            "patient/Patient.rs patient/Encounter.rs",
            {"Patient/alice", "Encounter/e1", "Encounter/e2"},
            id="types-not-granted-left-out",
        ),
        pytest.param(
            "patient/Patient.rs patient/Encounter.rs patient/Practitioner.rs",
            {
                "Patient/alice",
                "Encounter/e1",
                "Encounter/e2",
                "Practitioner/doc1",
                "Practitioner/doc2",
            },
            id="references-of-granted-members-only",
        ),
        pytest.param(
            "patient/Patient.rs patient/Practitioner.rs",
            {"Patient/alice", "Practitioner/doc1"},
            id="references-from-hidden-members-hidden",
        ),
    ],
)
async def test_a_patient_token_gets_its_patients_record_of_the_types_it_may_search(
    http: httpx.AsyncClient, scope: str, expected: set[str]
) -> None:
    assert await everything(http, "/fhir/Patient/alice/$everything?_count=2", scope) == expected


async def test_the_type_level_operation_walks_only_the_tokens_patient(
    http: httpx.AsyncClient,
) -> None:
    assert await everything(http, "/fhir/Patient/$everything", "patient/*.rs") == ALICE


async def test_another_patients_record_is_a_404(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/fhir/Patient/bob/$everything", headers=bearer("patient/*.rs", "alice")
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        pytest.param(
            "/fhir/Patient/alice/$everything?_type=Coverage",
            "patient/Patient.rs patient/Encounter.rs",
            id="type-names-a-type-not-granted",
        ),
        pytest.param(
            "/fhir/Patient/alice/$everything", "patient/Encounter.rs", id="no-patient-read"
        ),
        pytest.param("/fhir/Patient/$everything", "patient/Encounter.rs", id="no-patient-search"),
    ],
)
async def test_what_the_token_may_not_do_is_a_403(
    http: httpx.AsyncClient, url: str, scope: str
) -> None:
    response = await http.get(url, headers=bearer(scope, patient="alice"))

    assert response.status_code == 403, response.text


async def test_a_user_token_sees_every_patients_record(http: httpx.AsyncClient) -> None:
    found = await everything(http, "/fhir/Patient/bob/$everything", "user/*.rs", patient=None)

    assert found == {"Patient/bob", "Encounter/e3", "Appointment/a2", "Practitioner/unrelated"}

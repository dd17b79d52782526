"""Bad input gets an OperationOutcome with the right status and expression, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("body", "status", "expression"),
    [
        pytest.param(make_patient(gender="robot"), 400, "Patient.gender", id="required-binding"),
        pytest.param(make_patient(active="yes"), 400, "Patient.active", id="string-for-boolean"),
        pytest.param(make_patient(birthDate="1980-13-45"), 400, "Patient.birthDate", id="bad-date"),
        pytest.param(make_patient(foo=1), 400, "Patient.foo", id="unknown-element"),
        pytest.param(make_patient(**{"$where": "1"}), 400, "Patient.$where", id="dollar-key"),
        pytest.param(
            make_patient(extension=[{"url": "x", "valueString": {"$gt": ""}}]),
            400,
            "Patient.extension[0].valueString",
            id="nested-dollar-key",
        ),
        pytest.param(make_patient(gender=None), 400, "Patient.gender", id="null-value"),
        pytest.param(
            {
                "resourceType": "Appointment",
                "status": "booked",
                "participant": [{"status": "maybe"}],
            },
            400,
            "Appointment.participant[0].status",
            id="nested-binding",
        ),
        pytest.param(
            {"resourceType": "Claim", "status": "active"},
            400,
            "Claim.patient",
            id="missing-required",
        ),
        pytest.param({"resourceType": "Coverage", "status": "active"}, 400, None, id="wrong-type"),
        pytest.param(
            make_patient(contained=[{"resourceType": "Basic"}]),
            400,
            "Patient.contained[0]",
            id="contained-unknown",
        ),
    ],
)
async def test_invalid_resources_are_rejected(
    client: httpx.AsyncClient, body: dict[str, object], status: int, expression: str | None
) -> None:
    url = f"/fhir/{body['resourceType']}" if body["resourceType"] != "Coverage" else "/fhir/Patient"

    response = await client.post(url, json=body, headers=FHIR_JSON)

    assert response.status_code == status, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    expressions = [e for issue in outcome["issue"] for e in issue.get("expression", [])]
    if expression is not None:
        assert expression in expressions
    else:
        assert outcome["issue"][0]["expression"] == ["resourceType"]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{not json", id="invalid-json"),
        pytest.param(b"[1, 2]", id="array"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_unparseable_bodies_are_400(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post("/fhir/Patient", content=raw, headers=FHIR_JSON)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    huge = make_patient(name=[{"family": "x" * (11 * 1024 * 1024)}])

    response = await client.post("/fhir/Patient", json=huge, headers=FHIR_JSON)

    assert response.status_code == 413
    assert response.json()["issue"][0]["code"] == "too-long"


async def test_unsupported_body_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/Patient", content=b"<Patient/>", headers={"Content-Type": "application/fhir+xml"}
    )

    assert response.status_code == 415


async def test_unsupported_accept_is_406_and_nothing_is_written(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/Patient",
        json=make_patient(),
        headers={**FHIR_JSON, "Accept": "application/fhir+xml"},
    )

    assert response.status_code == 406
    history = await client.get("/fhir/Patient/_history")
    assert "entry" not in history.json()


async def test_unknown_route_is_404_outcome(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Patient/1/_history/1/extra")

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_wrong_method_is_405_outcome(client: httpx.AsyncClient) -> None:
    response = await client.post("/fhir/metadata", json={}, headers=FHIR_JSON)

    assert response.status_code == 405
    assert response.json()["issue"][0]["code"] == "not-supported"


async def test_malformed_if_match_is_400(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/fhir/Patient/x",
        json=make_patient(id="x"),
        headers={**FHIR_JSON, "If-Match": "banana"},
    )

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["If-Match"]

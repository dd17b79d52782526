"""JSON bodies are read strictly: no duplicate keys, no C0 control characters, valid body ids.

Each refusal is a 400 OperationOutcome whose ``expression`` names the element, and
nothing is written. Bodies are sent as raw bytes: a JSON library would drop a duplicate
key or escape a character differently from what a client can send.
"""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.conftest import FHIR_JSON, make_claim, make_patient
from tests.referenced import provide_targets

pytestmark = pytest.mark.anyio

JSON_PATCH = {"Content-Type": "application/json-patch+json"}
PATIENT_START = b'{"resourceType":"Patient",'


def expressions(response: httpx.Response) -> list[str]:
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    return [e for issue in outcome["issue"] for e in issue.get("expression", [])]


async def nothing_written(client: httpx.AsyncClient) -> bool:
    history = await client.get("/fhir/Patient/_history")
    return "entry" not in history.json()


REPEATED_KEYS = [
    pytest.param(
        PATIENT_START + b'"gender":"male","gender":"female"}', "Patient.gender", id="top-level"
    ),
    pytest.param(
        PATIENT_START + b'"name":[{"given":["A"]},{"family":"Doe","family":"Roe"}]}',
        "Patient.name[1].family",
        id="in-a-list",
    ),
    pytest.param(
        PATIENT_START + b'"contained":[{"resourceType":"Patient","id":"a","id":"b"}]}',
        "Patient.contained[0].id",
        id="contained",
    ),
    pytest.param(
        PATIENT_START + b'"gender" : "male",\n  "gender":\t"male"}',
        "Patient.gender",
        id="same-value-with-whitespace",
    ),
    pytest.param(
        # A quote written as \u0022 in a surviving string must not hide the duplicate.
        PATIENT_START + b'"name":[{"text":"\\u0022\\u0022"}],"gender":"male","gender":"male"}',
        "Patient.gender",
        id="unicode-escaped-quotes",
    ),
    pytest.param(
        b'{"resourceType":"Patient","resourceType":"Patient"}',
        "Patient.resourceType",
        id="resource-type",
    ),
]
CONTROL_CHARACTERS = [
    pytest.param(
        PATIENT_START + b'"name":[{"family":"Do\\u0000e"}]}',
        "Patient.name[0].family",
        id="nul",
    ),
    pytest.param(
        PATIENT_START + b'"name":[{"given":["Ann","B\\u001fo"]}]}',
        "Patient.name[0].given[1]",
        id="unit-separator",
    ),
    pytest.param(
        PATIENT_START + b'"name":[{"text":"a\\bb"}]}', "Patient.name[0].text", id="backspace"
    ),
    pytest.param(
        PATIENT_START + b'"name":[{"text":"a\\fb"}]}', "Patient.name[0].text", id="form-feed"
    ),
    pytest.param(
        PATIENT_START + b'"extension":[{"url":"x","valueString":"\\u0007"}]}',
        "Patient.extension[0].valueString",
        id="extension-value",
    ),
    pytest.param(
        PATIENT_START + b'"name":[{"fam\\u0001ily":"Doe"}]}',
        "Patient.name[0]",
        id="in-a-key",
    ),
]


@pytest.mark.parametrize(("raw", "expression"), [*REPEATED_KEYS, *CONTROL_CHARACTERS])
async def test_repeated_keys_and_control_characters_are_rejected(
    client: httpx.AsyncClient, raw: bytes, expression: str
) -> None:
    response = await client.post("/fhir/Patient", content=raw, headers=FHIR_JSON)

    assert response.status_code == 400, response.text
    assert expression in expressions(response)
    assert "\\u0000" not in response.text
    assert "\x00" not in response.text
    assert await nothing_written(client)


async def test_tab_cr_lf_and_escaped_backslashes_are_kept(client: httpx.AsyncClient) -> None:
    text = "line 1\r\nline 2\tend \\b \\u0000 \\f"
    response = await client.post(
        "/fhir/Patient", json=make_patient(name=[{"text": text}]), headers=FHIR_JSON
    )

    assert response.status_code == 201, response.text
    read = await client.get(response.headers["Location"].split("/_history")[0])
    assert read.json()["name"][0]["text"] == text


async def test_update_with_a_duplicate_key_is_rejected(client: httpx.AsyncClient) -> None:
    raw = b'{"resourceType":"Patient","id":"p1","active":true,"active":false}'

    response = await client.put("/fhir/Patient/p1", content=raw, headers=FHIR_JSON)

    assert response.status_code == 400, response.text
    assert "Patient.active" in expressions(response)
    assert (await client.get("/fhir/Patient/p1")).status_code == 404


@pytest.mark.parametrize(
    ("raw", "expression"),
    [
        pytest.param(
            b'[{"op":"replace","path":"/gender","value":"female","value":"other"}]',
            "[0].value",
            id="duplicate-key",
        ),
        pytest.param(
            b'[{"op":"add","path":"/name/0/family","value":"Do\\u0000e"}]',
            "[0].value",
            id="control-character",
        ),
    ],
)
async def test_json_patch_bodies_are_read_strictly(
    client: httpx.AsyncClient, raw: bytes, expression: str
) -> None:
    created = await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)
    url = f"/fhir/Patient/{created.json()['id']}"

    response = await client.patch(url, content=raw, headers=JSON_PATCH)

    assert response.status_code == 400, response.text
    assert expression in expressions(response)
    assert (await client.get(url)).json() == created.json()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            b'{"resourceType":"Parameters","parameter":[{"name":"reason",'
            b'"valueString":"late\\u0000"}]}',
            id="control-character",
        ),
        pytest.param(
            b'{"resourceType":"Parameters","parameter":[{"name":"reason",'
            b'"valueString":"a","valueString":"b"}]}',
            id="duplicate-key",
        ),
    ],
)
async def test_operation_parameters_are_read_strictly(
    client: httpx.AsyncClient, raw: bytes
) -> None:
    response = await client.post("/fhir/Task/t1/$extend", content=raw, headers=FHIR_JSON)

    assert response.status_code == 400, response.text
    assert "Parameters.parameter[0].valueString" in expressions(response)


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        pytest.param(make_patient(id=".."), "Patient.id", id="dot-dot-id"),
        pytest.param(make_patient(id="a" * 65), "Patient.id", id="long-id"),
        pytest.param(make_patient(id="a b"), "Patient.id", id="space-in-id"),
        pytest.param(
            make_patient(contained=[{"resourceType": "Patient", "id": "."}]),
            "Patient.contained[0].id",
            id="contained-id",
        ),
        pytest.param(make_claim("Patient/a b"), "Claim.patient.reference", id="space-in-reference"),
        pytest.param(make_claim("Patient/.."), "Claim.patient.reference", id="dot-dot-reference"),
        pytest.param(
            make_claim("Patient/" + "a" * 65), "Claim.patient.reference", id="long-reference"
        ),
        pytest.param(
            make_claim("Patient/p1/_history/1 2"),
            "Claim.patient.reference",
            id="bad-history-version",
        ),
        pytest.param(make_claim("Patient/p1/extra"), "Claim.patient.reference", id="extra-segment"),
        pytest.param(make_claim("p1"), "Claim.patient.reference", id="no-type"),
        pytest.param(
            make_claim(
                "Patient/p1",
                insurance=[
                    {"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/x y"}}
                ],
            ),
            "Claim.insurance[0].coverage.reference",
            id="nested-reference",
        ),
        pytest.param(
            make_patient(
                extension=[{"url": "http://x", "valueReference": {"reference": "Patient/.."}}]
            ),
            "Patient.extension[0].valueReference.reference",
            id="extension-reference",
        ),
    ],
)
async def test_ids_in_bodies_follow_the_id_rule(
    client: httpx.AsyncClient, body: dict[str, object], expression: str
) -> None:
    url = f"/fhir/{body['resourceType']}"

    response = await client.post(url, content=orjson.dumps(body), headers=FHIR_JSON)

    assert response.status_code == 400, response.text
    assert expression in expressions(response)
    issue_codes = {issue["code"] for issue in response.json()["issue"]}
    assert issue_codes <= {"value", "invalid"}


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("Patient/p-1.A", id="relative"),
        pytest.param("Patient/p1/_history/2", id="versioned"),
        pytest.param("urn:uuid:9f2d3f1e-5b1a-4c7e-8a44-0a6f3c1b2d3e", id="urn-uuid"),
        pytest.param("urn:oid:2.16.840.1.113883.3.9999", id="urn-oid"),
        pytest.param("http://other.example/fhir/Patient/any thing", id="absolute-url"),
    ],
)
async def test_valid_references_are_accepted(client: httpx.AsyncClient, reference: str) -> None:
    claim = make_claim(reference)
    await provide_targets(client, claim)  # the relative ones must resolve too
    response = await client.post("/fhir/Claim", json=claim, headers=FHIR_JSON)

    assert response.status_code == 201, response.text
    assert response.json()["patient"]["reference"] == reference


async def test_contained_references_are_accepted(client: httpx.AsyncClient) -> None:
    claim = make_claim("#pat", contained=[make_patient(id="pat")])
    await provide_targets(client, claim)

    response = await client.post("/fhir/Claim", json=claim, headers=FHIR_JSON)

    assert response.status_code == 201, response.text


def nested(depth: int) -> bytes:
    """A JSON array ``depth`` deep (too deep for orjson to write past 254 levels)."""
    return b"[" * depth + b'"x"' + b"]" * depth


@pytest.mark.parametrize("depth", [pytest.param(300, id="300"), pytest.param(1000, id="1000")])
async def test_a_body_nested_too_deeply_to_store_is_400(
    client: httpx.AsyncClient, depth: int
) -> None:
    raw = PATIENT_START + b'"extension":[{"url":"x","valueString":' + nested(depth) + b"}]}"

    response = await client.post("/fhir/Patient", content=raw, headers=FHIR_JSON)

    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert await nothing_written(client)


async def test_a_patch_that_nests_too_deeply_is_400(client: httpx.AsyncClient) -> None:
    created = await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)
    url = f"/fhir/Patient/{created.json()['id']}"
    # The body is shallow enough to parse; copying a deep value into itself doubles its depth.
    inside = "/extension/0/valueString" + "/0" * 200
    raw = b'[{"op":"add","path":"/extension","value":[{"url":"x","valueString":' + nested(200)
    raw += b'}]},{"op":"copy","from":"/extension","path":"' + inside.encode() + b'"}]'

    response = await client.patch(url, content=raw, headers=JSON_PATCH)

    assert response.status_code == 400, response.text
    assert (await client.get(url)).json() == created.json()

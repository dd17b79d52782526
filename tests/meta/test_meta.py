"""$meta, $meta-add and $meta-delete: the profiles, tags and security labels of resources."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio

CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
RESTRICTED = {"system": CONFIDENTIALITY, "code": "R"}
SUBSTANCE_ABUSE = {"system": ACT_CODE, "code": "ETH"}
VIP = {"system": "http://example.org/tags", "code": "vip"}
PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"


def parameters(**meta: Any) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [{"name": "meta", "valueMeta": meta}]}


def returned(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resourceType"] == "Parameters"
    (parameter,) = body["parameter"]
    assert parameter["name"] == "return"
    meta: dict[str, Any] = parameter["valueMeta"]
    return meta


async def created(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/fhir/Patient", json=make_patient(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_meta_of_an_instance_is_its_meta(client: httpx.AsyncClient) -> None:
    patient = await created(client, meta={"tag": [VIP]})

    for method in ("GET", "POST"):
        meta = returned(await client.request(method, f"/fhir/Patient/{patient['id']}/$meta"))
        assert meta["tag"] == [VIP]
        assert meta["versionId"] == "1"


async def test_meta_add_adds_the_missing_labels_tags_and_profiles_in_a_new_version(
    client: httpx.AsyncClient,
) -> None:
    patient = await created(client, meta={"tag": [VIP]})
    url = f"/fhir/Patient/{patient['id']}/$meta-add"
    body = parameters(security=[RESTRICTED], tag=[{**VIP, "display": "VIP"}], profile=[PROFILE])

    meta = returned(await client.post(url, json=body, headers=FHIR_JSON))

    assert meta["security"] == [RESTRICTED]
    assert meta["tag"] == [VIP]  # the same system and code: not added twice
    assert meta["profile"] == [PROFILE]
    assert meta["versionId"] == "2"
    stored = (await client.get(f"/fhir/Patient/{patient['id']}")).json()
    assert stored["meta"]["security"] == [RESTRICTED]
    assert {k: v for k, v in stored.items() if k != "meta"} == {
        k: v for k, v in patient.items() if k != "meta"
    }


async def test_meta_add_of_what_is_there_writes_nothing(client: httpx.AsyncClient) -> None:
    patient = await created(client, meta={"security": [RESTRICTED]})
    url = f"/fhir/Patient/{patient['id']}/$meta-add"

    meta = returned(
        await client.post(url, json=parameters(security=[RESTRICTED]), headers=FHIR_JSON)
    )

    assert meta["versionId"] == "1"


async def test_meta_delete_removes_by_system_and_code(client: httpx.AsyncClient) -> None:
    patient = await created(client, meta={"security": [RESTRICTED, SUBSTANCE_ABUSE], "tag": [VIP]})
    url = f"/fhir/Patient/{patient['id']}/$meta-delete"
    body = parameters(security=[{**SUBSTANCE_ABUSE, "display": "ignored"}], tag=[VIP])

    meta = returned(await client.post(url, json=body, headers=FHIR_JSON))

    assert meta["security"] == [RESTRICTED]
    assert "tag" not in meta
    stored = (await client.get(f"/fhir/Patient/{patient['id']}")).json()
    assert stored["meta"]["security"] == [RESTRICTED]
    assert stored["meta"]["versionId"] == "2"


async def test_a_security_label_added_is_searchable(client: httpx.AsyncClient) -> None:
    patient = await created(client)
    url = f"/fhir/Patient/{patient['id']}/$meta-add"
    await client.post(url, json=parameters(security=[SUBSTANCE_ABUSE]), headers=FHIR_JSON)

    found = (await client.get("/fhir/Patient", params={"_security": f"{ACT_CODE}|ETH"})).json()

    assert [e["resource"]["id"] for e in found["entry"]] == [patient["id"]]


async def test_meta_of_a_type_and_the_system_is_the_union_in_use(client: httpx.AsyncClient) -> None:
    await created(client, meta={"tag": [VIP], "security": [RESTRICTED]})
    await created(client, meta={"tag": [VIP], "profile": [PROFILE]})
    await created(client)
    org = {"resourceType": "Organization", "name": "Payer", "meta": {"security": [SUBSTANCE_ABUSE]}}
    assert (await client.post("/fhir/Organization", json=org)).status_code == 201

    of_type = returned(await client.get("/fhir/Patient/$meta"))
    of_system = returned(await client.post("/fhir/$meta"))

    assert of_type == {"profile": [PROFILE], "security": [RESTRICTED], "tag": [VIP]}
    assert of_system["tag"] == [VIP]
    assert sorted(s["code"] for s in of_system["security"]) == ["ETH", "R"]


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        pytest.param({"resourceType": "Patient"}, "resourceType", id="not-parameters"),
        pytest.param({"resourceType": "Parameters"}, "Parameters.parameter", id="no-parameter"),
        pytest.param(
            {"resourceType": "Parameters", "parameter": [{"name": "meta", "valueString": "x"}]},
            "Parameters.parameter",
            id="not-a-meta",
        ),
        pytest.param(
            parameters(security=[{"system": "x"}]),
            "Parameters.parameter[0].valueMeta.security",
            id="coding-without-code",
        ),
        pytest.param(
            parameters(profile="http://x"),
            "Parameters.parameter[0].valueMeta.profile",
            id="profile-not-a-list",
        ),
    ],
)
async def test_a_malformed_body_is_a_400_naming_the_element(
    client: httpx.AsyncClient, body: dict[str, Any], expression: str
) -> None:
    patient = await created(client)

    response = await client.post(
        f"/fhir/Patient/{patient['id']}/$meta-add", json=body, headers=FHIR_JSON
    )

    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_an_unknown_resource_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/Patient/nobody/$meta-add", json=parameters(tag=[VIP]), headers=FHIR_JSON
    )

    assert response.status_code == 404


async def test_a_read_only_type_has_no_meta_add(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/AuditEvent/x/$meta-add", json=parameters(tag=[VIP]), headers=FHIR_JSON
    )

    assert response.status_code == 404
    assert "$meta-add" in response.json()["issue"][0]["diagnostics"]


async def test_the_capability_statement_declares_the_operations(client: httpx.AsyncClient) -> None:
    rest = (await client.get("/fhir/metadata")).json()["rest"][0]
    by_type = {r["type"]: {op["name"] for op in r.get("operation", ())} for r in rest["resource"]}

    assert {"meta", "meta-add", "meta-delete"} <= by_type["Patient"]
    assert "meta" in by_type["AuditEvent"]
    assert "meta-add" not in by_type["AuditEvent"]
    assert "meta" in {op["name"] for op in rest["operation"]}


async def test_another_meta_operation_is_a_404(client: httpx.AsyncClient) -> None:
    patient = await created(client)

    response = await client.post(
        f"/fhir/Patient/{patient['id']}/$meta-change", json=parameters(tag=[VIP]), headers=FHIR_JSON
    )

    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-supported"


async def test_get_of_meta_add_is_a_405(client: httpx.AsyncClient) -> None:
    patient = await created(client)

    response = await client.get(f"/fhir/Patient/{patient['id']}/$meta-add")

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


async def test_meta_of_a_version_is_that_versions_meta(client: httpx.AsyncClient) -> None:
    patient = await created(client, meta={"tag": [VIP]})
    url = f"/fhir/Patient/{patient['id']}"
    await client.post(f"{url}/$meta-delete", json=parameters(tag=[VIP]), headers=FHIR_JSON)

    first = returned(await client.get(f"{url}/_history/1/$meta"))
    second = returned(await client.post(f"{url}/_history/2/$meta"))
    missing = await client.get(f"{url}/_history/9/$meta")

    assert first["tag"] == [VIP]
    assert "tag" not in second
    assert second["versionId"] == "2"
    assert missing.status_code == 404

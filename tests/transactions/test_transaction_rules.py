"""Transaction rules of http.html#transaction and bundle.html#references, one case each."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import make_patient
from tests.transactions.conftest import (
    coverage,
    entry,
    ids_of,
    post_bundle,
    transaction,
    urn,
)

pytestmark = pytest.mark.anyio

MRN = "urn:oid:2.16.840.1.113883.3.9999.1"


def patient(mrn: str, **overrides: Any) -> dict[str, Any]:
    return make_patient(identifier=[{"system": MRN, "value": mrn}], **overrides)


async def stored(client: httpx.AsyncClient, location: str) -> dict[str, Any]:
    path = location.split("/fhir/")[1].split("/_history")[0]
    response = await client.get(f"/fhir/{path}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_the_response_has_one_entry_per_request_entry_in_order(
    client: httpx.AsyncClient,
) -> None:
    pat = urn()
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Coverage", coverage(pat)),
            entry("POST", "Patient", patient("A1"), full_url=pat),
        ),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "transaction-response"
    first, second = body["entry"]
    assert first["resource"]["resourceType"] == "Coverage"
    assert second["resource"]["resourceType"] == "Patient"
    for item in body["entry"]:
        assert item["response"]["status"] == "201 Created"
        assert item["response"]["etag"] == 'W/"1"'
        assert item["response"]["location"].endswith("/_history/1")
        assert item["response"]["lastModified"]


async def test_urn_uuid_references_become_the_assigned_ids_everywhere(
    client: httpx.AsyncClient,
) -> None:
    """In other entries, in extensions, in contained resources, and in a cycle."""
    pat, other = urn(), urn()
    linked = patient(
        "A2",
        link=[{"other": {"reference": other}, "type": "seealso"}],
        extension=[{"url": "http://example.org/related", "valueReference": {"reference": other}}],
    )
    cov = coverage(
        pat,
        contained=[
            {
                "resourceType": "RelatedPerson",
                "id": "rp",
                "patient": {"reference": pat},
            }
        ],
        subscriber={"reference": "#rp"},
    )
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Patient", linked, full_url=pat),
            entry(
                "POST",
                "Patient",
                patient("A3", link=[{"other": {"reference": pat}, "type": "seealso"}]),
                full_url=other,
            ),
            entry("POST", "Coverage", cov),
        ),
    )
    assert response.status_code == 200, response.text
    first, second, third = (e["resource"] for e in response.json()["entry"])
    assert first["link"][0]["other"]["reference"] == f"Patient/{second['id']}"
    assert first["extension"][0]["valueReference"]["reference"] == f"Patient/{second['id']}"
    assert second["link"][0]["other"]["reference"] == f"Patient/{first['id']}"
    assert third["beneficiary"]["reference"] == f"Patient/{first['id']}"
    assert third["contained"][0]["patient"]["reference"] == f"Patient/{first['id']}"
    assert third["subscriber"]["reference"] == "#rp"
    again = await stored(client, f"/fhir/Coverage/{third['id']}")
    assert again["beneficiary"]["reference"] == f"Patient/{first['id']}"


async def test_an_absolute_full_url_is_replaced_too(client: httpx.AsyncClient) -> None:
    full = "http://elsewhere.example/fhir/Patient/abc"
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Patient", patient("A4"), full_url=full),
            entry("POST", "Coverage", coverage(full)),
        ),
    )
    assert response.status_code == 200, response.text
    made, cov = (e["resource"] for e in response.json()["entry"])
    assert cov["beneficiary"]["reference"] == f"Patient/{made['id']}"


async def test_entries_run_delete_post_put_get_whatever_their_order(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/fhir/Patient/gone", json=patient("G1", id="gone"))
    await client.put("/fhir/Patient/kept", json=patient("K1", id="kept"))
    response = await post_bundle(
        client,
        transaction(
            entry("GET", "Patient?identifier=" + f"{MRN}|NEW"),
            entry("PUT", "Patient/kept", patient("K1", id="kept", gender="female")),
            entry("POST", "Patient", patient("NEW")),
            entry("DELETE", "Patient/gone"),
        ),
    )
    assert response.status_code == 200, response.text
    search, put, post, delete = response.json()["entry"]
    assert delete["response"]["status"] == "204 No Content"
    assert post["response"]["status"] == "201 Created"
    assert put["response"]["status"] == "200 OK"
    # The GET ran last: it sees the transaction's own create.
    assert [e["resource"]["id"] for e in search["resource"]["entry"]] == [post["resource"]["id"]]
    assert (await client.get("/fhir/Patient/gone")).status_code == 410


async def test_a_get_sees_the_transactions_own_update(client: httpx.AsyncClient) -> None:
    await client.put("/fhir/Patient/p1", json=patient("P1", id="p1"))
    response = await post_bundle(
        client,
        transaction(
            entry("GET", "Patient/p1"),
            entry("PUT", "Patient/p1", patient("P1", id="p1", gender="female")),
        ),
    )
    assert response.status_code == 200, response.text
    read = response.json()["entry"][0]
    assert read["resource"]["gender"] == "female"
    assert read["resource"]["meta"]["versionId"] == "2"


async def test_overlapping_identities_fail_the_whole_transaction(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/fhir/Patient/p1", json=patient("P1", id="p1"))
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Patient", patient("NEW1")),
            entry("PUT", "Patient/p1", patient("P1", id="p1", gender="female")),
            entry("DELETE", "Patient/p1"),
        ),
    )
    assert response.status_code == 400, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "overlap" in outcome["issue"][0]["diagnostics"]
    assert await ids_of(client, "Patient") == ["p1"]


async def test_a_failed_entry_fails_all_and_names_the_entry(client: httpx.AsyncClient) -> None:
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Patient", patient("OK1")),
            entry("POST", "Patient", patient("OK2")),
            entry("POST", "Patient", patient("OK3")),
            entry("POST", "Patient", patient("BAD", gender="neither")),
        ),
    )
    assert response.status_code == 400, response.text
    issue = response.json()["issue"][0]
    assert issue["expression"][0].startswith("Bundle.entry[3].resource.gender")
    assert await ids_of(client, "Patient") == []


async def test_a_conditional_reference_resolves_to_its_one_match(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/fhir/Patient/p1", json=patient("C1", id="p1"))
    response = await post_bundle(
        client,
        transaction(entry("POST", "Coverage", coverage(f"Patient?identifier={MRN}|C1"))),
    )
    assert response.status_code == 200, response.text
    assert response.json()["entry"][0]["resource"]["beneficiary"]["reference"] == "Patient/p1"


async def test_a_conditional_reference_matching_none_fails(client: httpx.AsyncClient) -> None:
    response = await post_bundle(
        client,
        transaction(entry("POST", "Coverage", coverage(f"Patient?identifier={MRN}|NOBODY"))),
    )
    assert response.status_code == 404, response.text
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.beneficiary"]
    assert await ids_of(client, "Coverage") == []


async def test_a_conditional_reference_matching_two_fails(client: httpx.AsyncClient) -> None:
    await client.put("/fhir/Patient/p1", json=patient("TWIN", id="p1"))
    await client.put("/fhir/Patient/p2", json=patient("TWIN", id="p2"))
    response = await post_bundle(
        client,
        transaction(entry("POST", "Coverage", coverage(f"Patient?identifier={MRN}|TWIN"))),
    )
    assert response.status_code == 412, response.text
    assert await ids_of(client, "Coverage") == []


async def test_if_none_exist_with_a_match_answers_the_match(client: httpx.AsyncClient) -> None:
    await client.put("/fhir/Patient/p1", json=patient("E1", id="p1"))
    pat = urn()
    response = await post_bundle(
        client,
        transaction(
            entry(
                "POST",
                "Patient",
                patient("E1"),
                full_url=pat,
                if_none_exist=f"identifier={MRN}|E1",
            ),
            entry("POST", "Coverage", coverage(pat)),
        ),
    )
    assert response.status_code == 200, response.text
    made, cov = response.json()["entry"]
    assert made["response"]["status"] == "200 OK"
    assert made["resource"]["id"] == "p1"
    assert cov["resource"]["beneficiary"]["reference"] == "Patient/p1"
    assert await ids_of(client, "Patient") == ["p1"]


async def test_two_entries_creating_the_same_thing_make_one_resource(
    client: httpx.AsyncClient,
) -> None:
    criteria = f"identifier={MRN}|SAME"
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Patient", patient("SAME"), if_none_exist=criteria),
            entry("POST", "Patient", patient("SAME"), if_none_exist=criteria),
        ),
    )
    assert response.status_code == 200, response.text
    first, second = response.json()["entry"]
    assert first["response"]["status"] == "201 Created"
    assert second["response"]["status"] == "200 OK"
    assert first["resource"]["id"] == second["resource"]["id"]
    assert len(await ids_of(client, "Patient")) == 1


async def test_conditional_update_creates_then_updates(client: httpx.AsyncClient) -> None:
    url = f"Patient?identifier={MRN}|CU"
    created = await post_bundle(client, transaction(entry("PUT", url, patient("CU"))))
    assert created.status_code == 200, created.text
    assert created.json()["entry"][0]["response"]["status"] == "201 Created"
    updated = await post_bundle(
        client, transaction(entry("PUT", url, patient("CU", gender="female")))
    )
    assert updated.json()["entry"][0]["response"]["status"] == "200 OK"
    (only,) = await ids_of(client, "Patient")
    assert (await stored(client, f"/fhir/Patient/{only}"))["gender"] == "female"


async def test_conditional_delete_deletes_the_match(client: httpx.AsyncClient) -> None:
    await client.put("/fhir/Patient/p1", json=patient("CD", id="p1"))
    response = await post_bundle(
        client, transaction(entry("DELETE", f"Patient?identifier={MRN}|CD"))
    )
    assert response.status_code == 200, response.text
    assert (await client.get("/fhir/Patient/p1")).status_code == 410


async def test_a_stale_if_match_fails_the_transaction(client: httpx.AsyncClient) -> None:
    await client.put("/fhir/Patient/p1", json=patient("IM", id="p1"))
    await client.put("/fhir/Patient/p1", json=patient("IM", id="p1", gender="female"))
    response = await post_bundle(
        client,
        transaction(
            entry("POST", "Patient", patient("OTHER")),
            entry("PUT", "Patient/p1", patient("IM", id="p1"), if_match='W/"1"'),
        ),
    )
    assert response.status_code == 412, response.text
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[1].request.ifMatch"]
    assert await ids_of(client, "Patient") == ["p1"]


async def test_a_patch_entry_applies_a_json_patch(client: httpx.AsyncClient) -> None:
    import base64

    import orjson

    await client.put("/fhir/Patient/p1", json=patient("PA", id="p1"))
    operations = [{"op": "replace", "path": "/gender", "value": "female"}]
    binary = {
        "resourceType": "Binary",
        "contentType": "application/json-patch+json",
        "data": base64.b64encode(orjson.dumps(operations)).decode(),
    }
    response = await post_bundle(client, transaction(entry("PATCH", "Patient/p1", binary)))
    assert response.status_code == 200, response.text
    assert response.json()["entry"][0]["resource"]["gender"] == "female"


async def test_prefer_minimal_and_operation_outcome_apply_per_entry(
    client: httpx.AsyncClient,
) -> None:
    minimal = await post_bundle(
        client, transaction(entry("POST", "Patient", patient("M1"))), Prefer="return=minimal"
    )
    assert "resource" not in minimal.json()["entry"][0]
    assert minimal.json()["entry"][0]["response"]["location"]
    outcome = await post_bundle(
        client,
        transaction(entry("POST", "Patient", patient("M2"))),
        Prefer="return=OperationOutcome",
    )
    item = outcome.json()["entry"][0]
    assert "resource" not in item
    assert item["response"]["outcome"]["resourceType"] == "OperationOutcome"

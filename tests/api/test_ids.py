"""Every path that takes an id holds it to the FHIR ``id`` type: 1-64 of A-Z a-z 0-9 - .

The rule is server.fhir.ids.is_fhir_id; "." and ".." are refused as well (a URL
path normalises them away). Ids inside request bodies are tested in test_json_bodies.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio

JSON_PATCH = {"Content-Type": "application/json-patch+json"}

# As they go on the wire: "." and ".." percent-encoded, or httpx would resolve them away.
BAD_IDS = [
    pytest.param("a" * 65, id="65-letters"),
    pytest.param("a" * 200, id="200-letters"),
    pytest.param("a_b", id="underscore"),
    pytest.param("a%20b", id="space"),
    pytest.param("%C3%A9", id="non-ascii"),
    pytest.param("a:b", id="colon"),
    pytest.param("%2E", id="dot"),
    pytest.param("%2E%2E", id="dot-dot"),
]


def _request(method: str, path: str) -> dict[str, Any]:
    """The keyword arguments of a well-formed request of ``method`` to ``path``."""
    if method == "PUT":
        return {"json": make_patient(id=path.rsplit("/", 1)[-1]), "headers": FHIR_JSON}
    if method == "PATCH":
        return {"content": b"[]", "headers": JSON_PATCH}
    return {}


# Each path that takes an id, with {id} where it goes.
ID_PATHS = [
    pytest.param("GET", "/fhir/Patient/{id}", id="read"),
    pytest.param("GET", "/fhir/Patient/{id}/_history/1", id="vread"),
    pytest.param("PUT", "/fhir/Patient/{id}", id="update"),
    pytest.param("PATCH", "/fhir/Patient/{id}", id="patch"),
    pytest.param("DELETE", "/fhir/Patient/{id}", id="delete"),
    pytest.param("GET", "/fhir/Patient/{id}/_history", id="history-instance"),
    pytest.param("POST", "/fhir/Task/{id}/$release", id="task-release"),
    pytest.param("POST", "/fhir/Task/{id}/$extend?reason=late", id="task-extend"),
    pytest.param("GET", "/fhir/Patient/{id}/$disclosures", id="patient-disclosures"),
    pytest.param("GET", "/fhir/Patient/{id}/Claim", id="compartment-search"),
    pytest.param("GET", "/fhir/AuditEvent/{id}", id="read-only-type-read"),
]


def _assert_bad_id(response: httpx.Response, expression: str = "id") -> None:
    assert response.status_code == 400, (response.status_code, response.text)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["code"] == "invalid"
    assert issue["expression"] == [expression]


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(("method", "template"), ID_PATHS)
async def test_a_malformed_id_is_400_on_every_path_that_takes_one(
    client: httpx.AsyncClient, method: str, template: str, bad_id: str
) -> None:
    path = template.replace("{id}", bad_id)

    response = await client.request(method, path, **_request(method, path.split("?")[0]))

    _assert_bad_id(response)


@pytest.mark.parametrize("bad_id", BAD_IDS)
async def test_a_refused_update_stores_nothing(client: httpx.AsyncClient, bad_id: str) -> None:
    path = f"/fhir/Patient/{bad_id}"

    response = await client.put(path, **_request("PUT", path))

    _assert_bad_id(response)
    history = (await client.get("/fhir/Patient/_history")).json()
    assert "entry" not in history


async def test_the_outcome_says_what_an_id_may_be(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Patient/" + "a" * 65)

    diagnostics = response.json()["issue"][0]["diagnostics"]
    assert "64" in diagnostics
    assert "a" * 65 not in diagnostics  # a long id is shortened, not echoed whole


@pytest.mark.parametrize(
    "good_id",
    [
        pytest.param("a" * 64, id="64-letters"),
        pytest.param("A-z.0", id="all-classes"),
        pytest.param("x", id="one-letter"),
        pytest.param("...", id="three-dots"),
    ],
)
async def test_a_well_formed_id_is_accepted_and_read_back(
    client: httpx.AsyncClient, good_id: str
) -> None:
    created = await client.put(f"/fhir/Patient/{good_id}", **_request("PUT", good_id))
    read = await client.get(f"/fhir/Patient/{good_id}")
    vread = await client.get(f"/fhir/Patient/{good_id}/_history/1")
    history = await client.get(f"/fhir/Patient/{good_id}/_history")

    assert created.status_code == 201, created.text
    assert [read.status_code, vread.status_code, history.status_code] == [200, 200, 200]
    assert read.json()["id"] == good_id


async def test_an_unknown_well_formed_id_is_still_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Patient/" + "a" * 64)

    assert response.status_code == 404


@pytest.mark.parametrize("bad_version", BAD_IDS)
async def test_a_malformed_version_id_is_400(client: httpx.AsyncClient, bad_version: str) -> None:
    await client.put("/fhir/Patient/v", **_request("PUT", "/fhir/Patient/v"))

    response = await client.get(f"/fhir/Patient/v/_history/{bad_version}")

    _assert_bad_id(response, "vid")


@pytest.mark.parametrize("version", ["2", "99", "abc", "1.0"])
async def test_a_well_formed_unknown_version_is_404(
    client: httpx.AsyncClient, version: str
) -> None:
    await client.put("/fhir/Patient/v", **_request("PUT", "/fhir/Patient/v"))

    response = await client.get(f"/fhir/Patient/v/_history/{version}")

    assert response.status_code == 404

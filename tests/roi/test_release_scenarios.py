"""The release scenarios of issue 5, end to end over HTTP on the sandbox's patients."""

from __future__ import annotations

import httpx
import pytest

from server.consent import codes as c
from tests.roi.factories import (
    EVERGREEN,
    LAW_FIRM,
    RESEARCHER,
    UNITY,
    decisions,
    file_task,
    load,
    make_roi_task,
    parameter,
    references,
    released_bundle,
    run_release,
)

pytestmark = pytest.mark.anyio

NO_REDISCLOSURE = {"system": c.V3_ACT_CODE, "code": c.NORDSCLCD}


async def _task(client: httpx.AsyncClient, task_id: str) -> dict[str, object]:
    response = await client.get(f"/fhir/Task/{task_id}")
    assert response.status_code == 200
    found: dict[str, object] = response.json()
    return found


async def _audit_events(client: httpx.AsyncClient, patient_id: str) -> int:
    response = await client.get("/fhir/AuditEvent", params={"patient": f"Patient/{patient_id}"})
    total: int = response.json()["total"]
    return total


async def test_an_attorney_without_authorization_is_rejected_and_gets_nothing(
    client: httpx.AsyncClient,
) -> None:
    await load(client, "pat-0009")
    task = await file_task(client, make_roi_task("pat-0009", c.HLEGAL, LAW_FIRM, types=["Claim"]))

    answer = await run_release(client, task["id"], explain=True)

    assert parameter(answer, "outcome") == "rejected"
    assert parameter(answer, "released") == 0
    assert parameter(answer, "release") is None
    assert {d["basis"] for d in decisions(answer).values()} == {"authorization-required"}
    stored = await _task(client, task["id"])
    assert stored["status"] == "rejected"
    assert "withheld" in stored["statusReason"]["text"]  # type: ignore[index]
    assert any("review" in n["text"] for n in stored["note"])  # type: ignore[attr-defined]
    assert await _audit_events(client, "pat-0009") == 0


async def test_an_attorney_with_an_authorization_gets_only_the_claims_of_2024(
    client: httpx.AsyncClient,
) -> None:
    await load(client, "pat-0001")
    task = await file_task(
        client,
        make_roi_task(
            "pat-0001",
            c.HLEGAL,
            LAW_FIRM,
            types=["Claim", "Coverage"],
            authorization="cons-roi-0001",
        ),
    )

    answer = await run_release(client, task["id"])

    bundle = await released_bundle(client, answer)
    # claim-0013 is of 2024 but labelled 42 CFR Part 2, which the authorization does not name.
    assert references(bundle) == {"Claim/claim-0003", "Claim/claim-0027"}
    assert bundle["type"] == "collection"
    assert parameter(answer, "denied") == 4  # three other claims and the coverage
    stored = await _task(client, task["id"])
    assert stored["status"] == "completed"
    outputs = {o["type"]["coding"][0]["code"]: o for o in stored["output"]}  # type: ignore[attr-defined]
    assert outputs["release"]["valueReference"] == parameter(answer, "release")
    assert outputs["released-count"]["valueInteger"] == 2


async def test_a_patient_gets_everything_but_psychotherapy_notes(
    client: httpx.AsyncClient,
) -> None:
    records = await load(client, "pat-0009")
    task = await file_task(
        client,
        make_roi_task("pat-0009", c.PATRQT, "Patient/pat-0009"),
    )

    answer = await run_release(client, task["id"], explain=True)

    bundle = await released_bundle(client, answer)
    everything = {f"{r['resourceType']}/{r['id']}" for r in records}
    assert references(bundle) == everything - {"Claim/claim-0030"}
    assert decisions(answer)["Claim/claim-0030"]["basis"] == "right-of-access"


async def test_an_insurer_gets_only_what_it_names(client: httpx.AsyncClient) -> None:
    await load(client, "pat-0006")
    unnamed = await file_task(client, make_roi_task("pat-0006", c.HPAYMT, EVERGREEN))
    named = await file_task(
        client,
        make_roi_task(
            "pat-0006", c.HPAYMT, EVERGREEN, types=["Claim"], period=("2025-01-01", "2025-12-31")
        ),
    )

    refused = await run_release(client, unnamed["id"], explain=True)
    answer = await run_release(client, named["id"], explain=True)

    assert parameter(refused, "outcome") == "rejected"
    assert {d["basis"] for d in decisions(refused).values()} == {"minimum-necessary"}
    bundle = await released_bundle(client, answer)
    assert references(bundle) == {"Claim/claim-0043"}
    assert decisions(answer)["Claim/claim-0011"]["basis"] == "request-scope"


async def test_a_research_opt_out_is_honoured(client: httpx.AsyncClient) -> None:
    await load(client, "pat-0009")
    task = await file_task(
        client, make_roi_task("pat-0009", c.HRESCH, RESEARCHER, types=["Claim", "Coverage"])
    )

    answer = await run_release(client, task["id"], explain=True)

    assert parameter(answer, "outcome") == "rejected"
    explained = decisions(answer)
    # The deny nested inside the opt-out's permit decides (a deny inside a permit).
    assert explained["Coverage/cov-0011"]["consent"] == {"reference": "Consent/cons-research-0009"}
    assert explained["Coverage/cov-0011"]["provision"] == "provision.provision[0]"


async def test_substance_use_claims_go_only_under_an_explicit_provision_and_are_labelled(
    client: httpx.AsyncClient,
) -> None:
    await load(client, "pat-0018", "pat-0026")
    with_provision = await file_task(
        client, make_roi_task("pat-0018", c.HPAYMT, UNITY, types=["Claim"])
    )
    without = await file_task(
        client, make_roi_task("pat-0026", c.HPAYMT, UNITY, types=["Claim", "Coverage"])
    )

    permitted = await released_bundle(client, await run_release(client, with_provision["id"]))
    answer = await run_release(client, without["id"], explain=True)

    assert references(permitted) == {"Claim/claim-0038", "Claim/claim-0039"}
    for entry in permitted["entry"]:
        labels = entry["resource"]["meta"]["security"]
        assert NO_REDISCLOSURE in [{"system": s["system"], "code": s["code"]} for s in labels]
    assert permitted["meta"]["security"] == [NO_REDISCLOSURE]
    assert decisions(answer)["Claim/claim-0021"]["basis"] == "sensitive-data"
    assert references(await released_bundle(client, answer)) == {"Coverage/cov-0032"}


async def test_an_expired_authorization_releases_nothing(client: httpx.AsyncClient) -> None:
    await load(client, "pat-0006")
    task = await file_task(
        client,
        make_roi_task(
            "pat-0006", c.HLEGAL, LAW_FIRM, types=["Claim"], authorization="cons-roi-0006"
        ),
    )

    answer = await run_release(client, task["id"])

    assert parameter(answer, "outcome") == "rejected"
    assert parameter(answer, "denied") == 2


async def test_an_authorization_of_another_patient_is_refused(client: httpx.AsyncClient) -> None:
    await load(client, "pat-0009", "pat-0001")
    task = await file_task(
        client,
        make_roi_task(
            "pat-0009", c.HLEGAL, LAW_FIRM, types=["Claim"], authorization="cons-roi-0001"
        ),
    )

    response = await client.post(f"/fhir/Task/{task['id']}/$release")

    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["code"] == "business-rule"
    assert issue["expression"] == ["Task.input"]
    assert (await _task(client, task["id"]))["status"] == "requested"


async def test_a_completed_request_is_not_released_again(client: httpx.AsyncClient) -> None:
    await load(client, "pat-0009")
    task = await file_task(client, make_roi_task("pat-0009", c.PATRQT, "Patient/pat-0009"))
    await run_release(client, task["id"])

    again = await client.post(f"/fhir/Task/{task['id']}/$release")
    unknown = await client.post("/fhir/Task/nope/$release")
    wrong_verb = await client.get(f"/fhir/Task/{task['id']}/$release")

    assert again.status_code == 422
    assert again.json()["issue"][0]["expression"] == ["Task.status"]
    assert unknown.status_code == 404
    assert wrong_verb.status_code == 405
    assert await _audit_events(client, "pat-0009") == 1

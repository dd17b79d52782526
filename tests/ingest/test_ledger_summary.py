"""$hl7v2-ledger-summary: the ledger's messages counted per day and outcome, on every store."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.ingest.messages import adt, unsupported

pytestmark = pytest.mark.anyio
ER7 = {"Content-Type": "x-application/hl7-v2+er7"}


def days_of(parameters: dict[str, object]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for day in parameters["parameter"]:  # type: ignore[index]
        parts = {p["name"]: p for p in day["part"]}
        found[parts["date"]["valueDate"]] = {
            name: part["valueInteger"] for name, part in parts.items() if name != "date"
        }
    return found


async def test_counts_todays_messages_by_outcome(client: httpx.AsyncClient) -> None:
    await client.post("/fhir/$hl7v2-ingest", content=adt("S1"), headers=ER7)
    await client.post("/fhir/$hl7v2-ingest", content=adt("S2", mrn="MRN2"), headers=ER7)
    await client.post("/fhir/$hl7v2-ingest", content=unsupported("S3"), headers=ER7)

    response = await client.get("/fhir/$hl7v2-ledger-summary", params={"days": "3"})

    assert response.status_code == 200
    days = days_of(response.json())
    today = datetime.now(UTC).date().isoformat()
    assert len(days) == 3
    assert days[today]["applied"] == 2
    assert sum(days[today].values()) == 3


async def test_days_outside_the_window_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/$hl7v2-ledger-summary", params={"days": "400"})

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["days"]

"""The outbound feed end to end: REST and HL7v2 writes reach a local MLLP sink.

Each test runs the app (lifespan included, so its sender runs) on every store, with
``--hl7-outbound`` naming the sink (tests/outbound/conftest.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from hl7.ack import AckCode
from server.settings import Settings
from tests.conftest import make_patient, running_app
from tests.outbound.sink import WAIT_S, Sink, field, outbound_file

pytestmark = pytest.mark.anyio

ER7 = {"Content-Type": "x-application/hl7-v2+er7"}


async def create(client: httpx.AsyncClient, resource: dict[str, Any]) -> str:
    response = await client.post(f"/fhir/{resource['resourceType']}", json=resource)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def outbox(client: httpx.AsyncClient, query: str = "") -> list[dict[str, Any]]:
    """The entries ``$hl7v2-outbox`` lists, each as a dict of its parts' values."""
    response = await client.get(f"/fhir/$hl7v2-outbox{query}")
    assert response.status_code == 200, response.text
    entries = []
    for parameter in response.json().get("parameter", []):
        if parameter["name"] == "entry":
            entries.append(
                {
                    part["name"]: next(v for k, v in part.items() if k.startswith("value"))
                    for part in parameter["part"]
                }
            )
    return entries


async def settled(client: httpx.AsyncClient, count: int) -> None:
    """Wait until ``count`` entries are no longer pending (polling: the API is all there is)."""
    async with asyncio.timeout(WAIT_S):
        while len([e for e in await outbox(client) if e["status"] != "pending"]) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def appointment(patient_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": "2025-03-04T09:00:00Z",
        "end": "2025-03-04T09:30:00Z",
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    }
    body.update(overrides)
    return body


async def test_a_created_patient_is_sent_as_adt_a04(client: httpx.AsyncClient, sink: Sink) -> None:
    patient_id = await create(client, make_patient())

    [message] = await sink.wait_for(1)

    assert (message.message_code, message.trigger_event) == ("ADT", "A04")
    assert message.sending_application == "FHIRPORT"
    assert (message.msh.get(5), message.msh.get(6)) == ("LEGACY", "NORTH")
    assert field(message, "PID", 3) == "MRN-1"
    assert field(message, "PID", 5) == "Álvarez"
    assert (field(message, "PID", 7), field(message, "PID", 8)) == ("19800229", "M")
    await settled(client, 1)
    [entry] = await outbox(client)
    assert entry["status"] == "sent"
    assert entry["controlId"] == message.control_id
    assert entry["resource"]["reference"] == f"Patient/{patient_id}/_history/1"


async def test_an_update_is_sent_as_adt_a08_after_the_a04(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    patient_id = await create(client, make_patient())
    changed = make_patient(id=patient_id, name=[{"family": "Ruiz"}])
    response = await client.put(f"/fhir/Patient/{patient_id}", json=changed)
    assert response.status_code == 200

    first, second = await sink.wait_for(2)

    assert [first.trigger_event, second.trigger_event] == ["A04", "A08"]
    assert field(second, "PID", 5) == "Ruiz"


async def test_an_appointment_is_sent_as_siu_s12_with_its_patient(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    patient_id = await create(client, make_patient())
    await create(client, appointment(patient_id))

    _, message = await sink.wait_for(2)

    assert (message.message_code, message.trigger_event) == ("SIU", "S12")
    assert field(message, "SCH", 11, 4) == "20250304090000+0000"
    assert field(message, "SCH", 25) == "Booked"
    assert field(message, "PID", 3) == "MRN-1"


async def test_an_ae_moves_the_entry_to_the_dead_letters_and_the_next_goes_on(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    sink.answer = AckCode.ERROR
    await create(client, make_patient())
    await sink.wait_for(1)
    await settled(client, 1)
    sink.answer = AckCode.ACCEPT
    await create(client, make_patient(identifier=[{"value": "MRN-2"}]))
    await sink.wait_for(2)
    await settled(client, 2)

    [failed] = await outbox(client, "?status=failed")
    [sent] = await outbox(client, "?status=sent")

    assert failed["messageType"] == "ADT^A04"
    assert "Unknown patient class" in failed["lastError"]
    assert "MSA|AE" in failed["ack"]
    assert sent["controlId"] != failed["controlId"]


async def test_entries_wait_while_the_destination_is_down(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    await sink.stop()
    for number in range(5):
        await create(client, make_patient(identifier=[{"value": f"MRN-{number}"}]))
    await asyncio.sleep(0.5)
    pending = await outbox(client, "?status=pending")
    assert len(pending) == 5
    assert max(e["attempts"] for e in pending) >= 1
    assert "lastError" in pending[0]

    await sink.start()
    received = await sink.wait_for(5)

    assert [field(m, "PID", 3) for m in received] == [f"MRN-{n}" for n in range(5)]
    await settled(client, 5)


async def test_updates_of_one_patient_arrive_in_order(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    patient_id = await create(client, make_patient())
    for number in range(10):
        body = make_patient(id=patient_id, name=[{"family": f"V{number}"}])
        response = await client.put(f"/fhir/Patient/{patient_id}", json=body)
        assert response.status_code == 200

    received = await sink.wait_for(11)

    names = [field(m, "PID", 5) for m in received[1:]]
    assert names == [f"V{n}" for n in range(10)]


async def test_a_message_from_the_destination_itself_is_not_echoed(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    own = (
        "MSH|^~\\&|LEGACY|NORTH|FHIRPORT|MAIN|20240105083000||ADT^A04^ADT_A01|E1|P|2.5.1\r"
        "EVN|A04|20240105083000\rPID|1||MRN9^^^NORTH^MR||Echo^Ann||19800214|F\rPV1|1|O\r"
    )
    other = own.replace("LEGACY|NORTH", "REGISTRY|EAST").replace("MRN9", "MRN8")
    for message in (own, other):
        response = await client.post("/fhir/$hl7v2-ingest", content=message, headers=ER7)
        assert response.status_code == 200, response.text

    [forwarded] = await sink.wait_for(1)
    await asyncio.sleep(0.3)

    assert len(sink.received) == 1
    assert field(forwarded, "PID", 3) == "MRN8"


async def test_a_coverage_change_is_an_a08_of_its_beneficiary(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    patient_id = await create(client, make_patient())
    coverage = {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "payor": [{"display": "Acme Health"}],
        "subscriberId": "SUB-7",
    }
    await create(client, coverage)

    _, message = await sink.wait_for(2)

    assert (message.message_code, message.trigger_event) == ("ADT", "A08")
    assert field(message, "PID", 3) == "MRN-1"
    assert field(message, "IN1", 36) == "SUB-7"


async def test_the_outbox_pages(client: httpx.AsyncClient, sink: Sink) -> None:
    for number in range(3):
        await create(client, make_patient(identifier=[{"value": f"MRN-{number}"}]))
    await settled(client, 3)

    response = await client.get("/fhir/$hl7v2-outbox?_count=2")
    body = response.json()
    links = [p["valueUri"] for p in body["parameter"] if p["name"] == "next"]
    assert len([p for p in body["parameter"] if p["name"] == "entry"]) == 2
    [next_link] = links
    rest = await client.get(next_link)

    assert len([p for p in rest.json()["parameter"] if p["name"] == "entry"]) == 1


async def test_a_bad_status_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/$hl7v2-outbox?status=lost")

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["status"]


async def test_a_merge_is_sent_as_adt_a40_naming_the_retired_patient(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    survivor = await create(client, make_patient())
    retired = await create(client, make_patient(identifier=[{"value": "MRN-OLD"}]))
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "source-patient", "valueReference": {"reference": f"Patient/{retired}"}},
            {"name": "target-patient", "valueReference": {"reference": f"Patient/{survivor}"}},
        ],
    }
    response = await client.post("/fhir/Patient/$merge", json=parameters)
    assert response.status_code == 200, response.text

    *_, message = await sink.wait_for(3)
    await asyncio.sleep(0.3)

    assert len(sink.received) == 3, sink.types()
    assert (message.message_code, message.trigger_event) == ("ADT", "A40")
    assert field(message, "PID", 3) == "MRN-1"
    assert field(message, "MRG", 1) == "MRN-OLD"


async def test_a_moved_appointment_is_an_s14_a_cancelled_one_an_s15_a_deleted_one_an_s17(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    patient_id = await create(client, make_patient())
    appointment_id = await create(client, appointment(patient_id))
    later = {"start": "2025-03-05T10:00:00Z", "end": "2025-03-05T10:30:00Z"}
    moved = appointment(patient_id, id=appointment_id, **later)
    response = await client.put(f"/fhir/Appointment/{appointment_id}", json=moved)
    assert response.status_code == 200, response.text
    cancelled = appointment(patient_id, id=appointment_id, status="cancelled")
    response = await client.put(f"/fhir/Appointment/{appointment_id}", json=cancelled)
    assert response.status_code == 200, response.text
    assert (await client.delete(f"/fhir/Appointment/{appointment_id}")).status_code in (200, 204)

    received = await sink.wait_for(5)

    assert [m.trigger_event for m in received] == ["A04", "S12", "S14", "S15", "S17"]
    assert field(received[2], "SCH", 11, 4) == "20250305100000+0000"
    assert field(received[4], "SCH", 1) == field(received[1], "SCH", 1)


async def test_an_update_of_a_cancelled_appointment_is_an_s14_not_another_s15(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    patient_id = await create(client, make_patient())
    appointment_id = await create(client, appointment(patient_id))
    cancelled = appointment(patient_id, id=appointment_id, status="cancelled")
    response = await client.put(f"/fhir/Appointment/{appointment_id}", json=cancelled)
    assert response.status_code == 200, response.text
    explained = {**cancelled, "comment": "Patient moved away"}
    response = await client.put(f"/fhir/Appointment/{appointment_id}", json=explained)
    assert response.status_code == 200, response.text

    received = await sink.wait_for(4)

    assert [m.trigger_event for m in received] == ["A04", "S12", "S15", "S14"]
    assert field(received[3], "SCH", 25) == field(received[2], "SCH", 25)


async def test_with_a_window_messages_overlap_and_still_arrive_in_order(
    settings: Settings, sink: Sink, tmp_path: Path
) -> None:
    feed = outbound_file(tmp_path / "windowed.yaml", sink.port, window=8)
    await sink.stop()
    async with running_app(settings.model_copy(update={"hl7_outbound": feed})) as client:
        for number in range(20):
            await create(client, make_patient(identifier=[{"value": f"MRN-{number}"}]))
        await sink.start()
        received = await sink.wait_for(20)
        await settled(client, 20)
        sent = await outbox(client, "?status=sent")

    assert [field(m, "PID", 3) for m in received] == [f"MRN-{n}" for n in range(20)]
    assert len(sent) == 20


async def test_a_patch_is_an_a08_and_a_patient_delete_sends_nothing(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    patient_id = await create(client, make_patient())
    operations = [{"op": "replace", "path": "/gender", "value": "female"}]
    response = await client.patch(
        f"/fhir/Patient/{patient_id}",
        json=operations,
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert (await client.delete(f"/fhir/Patient/{patient_id}")).status_code in (200, 204)

    _, patched = await sink.wait_for(2)
    await asyncio.sleep(0.3)

    assert sink.types() == ["ADT^A04", "ADT^A08"]
    assert field(patched, "PID", 8) == "F"


async def test_the_capability_statement_lists_the_operation(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/metadata")

    operations = response.json()["rest"][0]["operation"]
    assert "hl7v2-outbox" in [o["name"] for o in operations]


async def test_a_transaction_sends_what_its_entries_mean(
    client: httpx.AsyncClient, sink: Sink, settings: Settings
) -> None:
    if settings.store == "memory://":
        pytest.skip("memory:// refuses transactions (no multi-document transactions)")
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:6d1f3d5c-0000-4000-8000-000000000001",
                "resource": make_patient(),
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "resource": appointment("placeholder")
                | {
                    "participant": [
                        {
                            "actor": {"reference": "urn:uuid:6d1f3d5c-0000-4000-8000-000000000001"},
                            "status": "accepted",
                        }
                    ]
                },
                "request": {"method": "POST", "url": "Appointment"},
            },
        ],
    }
    response = await client.post("/fhir", json=bundle)
    assert response.status_code == 200, response.text

    first, second = await sink.wait_for(2)

    assert sink.types() == ["ADT^A04", "SIU^S12"]
    assert field(second, "PID", 3) == "MRN-1"
    assert field(first, "PID", 3) == "MRN-1"


async def requeue(client: httpx.AsyncClient, *ids: str) -> httpx.Response:
    parameters = [{"name": "id", "valueString": entry_id} for entry_id in ids]
    return await client.post(
        "/fhir/$hl7v2-outbox-requeue",
        json={"resourceType": "Parameters", "parameter": parameters},
    )


async def test_a_requeued_dead_letter_is_sent_again_with_its_control_id(
    client: httpx.AsyncClient, sink: Sink
) -> None:
    sink.answer = AckCode.ERROR
    await create(client, make_patient())
    await sink.wait_for(1)
    await settled(client, 1)
    [failed] = await outbox(client, "?status=failed")
    sink.answer = AckCode.ACCEPT

    response = await requeue(client, failed["id"], "no-such-entry")

    assert response.status_code == 200, response.text
    answer = {p["name"]: p for p in response.json()["parameter"]}
    assert answer["requeued"]["valueInteger"] == 1
    assert answer["skipped"]["valueString"] == "no-such-entry"
    _, again = await sink.wait_for(2)
    assert again.msh.get(10) == failed["controlId"]
    await settled(client, 1)
    [sent] = await outbox(client, "?status=sent")
    assert sent["id"] == failed["id"]
    assert sent["attempts"] == 2


async def test_a_requeue_without_ids_is_refused_naming_the_parameter(
    client: httpx.AsyncClient,
) -> None:
    response = await requeue(client)

    assert response.status_code == 400
    [issue] = response.json()["issue"]
    assert issue["expression"] == ["id"]

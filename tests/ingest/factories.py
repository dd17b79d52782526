"""Builders for ingest tests: services on a store, and prepared messages from hand-built results."""

from __future__ import annotations

from functools import partial
from typing import Any

from mappers.result import Action, MappingResult
from server.hl7v2.ingest.model import Header, Prepared
from server.interactions import ResourceService
from server.search.extract import extract_index
from server.storage.port import Store

BASE_URLS = ("http://127.0.0.1:8080/fhir",)
SENDER = "LEGACY|NORTH"
T0 = 1_700_000_000_000_000  # an event time, microseconds


def service_on(store: Store) -> ResourceService:
    return ResourceService(store, partial(extract_index, base_urls=BASE_URLS))


def patient(pid: str, family: str = "Doe", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:fhirport:id:north", "value": pid.upper()}],
        "name": [{"family": family, "given": ["Ann"]}],
        **extra,
    }


def coverage(cid: str, patient_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": cid,
        "status": "active",
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "payor": [{"reference": f"Patient/{patient_id}"}],
    }


def appointment(aid: str, patient_id: str, status: str = "booked") -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": aid,
        "status": status,
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    }


def prepared(
    control_id: str,
    *resources: dict[str, Any] | tuple[dict[str, Any], Action],
    event_time: int | None = T0,
    merges: list[tuple[str, str]] | None = None,
    message_type: str = "ADT^A08",
    unmapped: list[str] | None = None,
) -> Prepared:
    """A message as ``prepare`` would return it, with a hand-built mapping."""
    result = MappingResult(merges=list(merges or []), unmapped=list(unmapped or []))
    for item in resources:
        resource, action = item if isinstance(item, tuple) else (item, Action.UPSERT)
        result.add(resource, action)
    msh = (
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|20231114221320||{message_type}|{control_id}|P|2.5.1"
    )
    raw = f"{msh}\rEVN||20231114221320\r".encode()
    header = Header(SENDER, control_id, message_type, event_time, raw)
    return Prepared(header, result=result, msh=msh)

"""Eligibility test data: the payer, the patient and the coverage on file, a request."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from tests.registration.world import PAYER, make_patient, put

COVERAGE: dict[str, Any] = {
    "resourceType": "Coverage",
    "id": "elig-cov",
    "status": "active",
    "subscriberId": "XJH123",
    "subscriber": {"reference": "Patient/elig-pat"},
    "beneficiary": {"reference": "Patient/elig-pat"},
    "relationship": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                "code": "self",
            }
        ]
    },
    "payor": [{"reference": "Organization/reg-payer"}],
    "class": [
        {
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                        "code": "plan",
                    }
                ]
            },
            "value": "GOLD-PPO",
            "name": "Gold PPO",
        }
    ],
    "period": {"start": "2026-01-01", "end": "2026-06-30"},
}


def make_request(**overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "resourceType": "CoverageEligibilityRequest",
        "status": "active",
        "purpose": ["validation"],
        "patient": {"reference": "Patient/elig-pat"},
        "created": "2026-05-01",
        "insurer": {"reference": "Organization/reg-payer"},
        "servicedDate": "2026-05-04",
        "insurance": [{"focal": True, "coverage": {"reference": "Coverage/elig-cov"}}],
    }
    request.update(overrides)
    return request


async def store_on_file(client: httpx.AsyncClient) -> None:
    """Store the payer, the patient and their coverage (COVERAGE)."""
    await put(client, copy.deepcopy(PAYER))
    await put(client, make_patient("elig-pat"))
    await put(client, copy.deepcopy(COVERAGE))

"""Index entries computed by an import worker equal the writer's own, once stamped."""

from __future__ import annotations

from typing import Any

import pytest

from server.fhir_import.check import index_without_last_updated, with_last_updated
from server.search.extract import extract_index
from server.versions import stamp

BASE = ("http://example.org/fhir",)


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(
            {
                "resourceType": "Patient",
                "id": "p1",
                "name": [{"family": "Doe"}],
                "meta": {"lastUpdated": "2020-01-01T00:00:00Z", "tag": [{"code": "x"}]},
            },
            id="patient-with-meta",
        ),
        pytest.param(
            {
                "resourceType": "Appointment",
                "id": "a1",
                "status": "booked",
                "start": "2025-01-02T09:00:00Z",
                "participant": [{"actor": {"reference": "Patient/p1"}, "status": "accepted"}],
            },
            id="appointment",
        ),
    ],
)
def test_worker_entries_with_last_updated_are_the_stored_ones(resource: dict[str, Any]) -> None:
    updated = 1_700_000_000_123_456
    prepared = index_without_last_updated(dict(resource), BASE)
    stamped = dict(resource)
    stamp(stamped, resource["id"], 2, updated)

    assert with_last_updated(prepared, updated) == extract_index(stamped, base_urls=BASE)

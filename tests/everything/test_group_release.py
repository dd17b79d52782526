"""A Group names other patients: it is in each member's compartment, never in a release."""

from __future__ import annotations

import httpx
import pytest

from server.consent import codes as c
from tests.conftest import FHIR_JSON
from tests.everything.test_group import make_group
from tests.meta.test_meta_consent import settings  # noqa: F401  (lenient integrity: sandbox records)
from tests.roi.factories import (
    file_task,
    load,
    make_roi_task,
    references,
    released_bundle,
    run_release,
)

pytestmark = pytest.mark.anyio


async def test_a_patients_own_release_leaves_out_the_groups_naming_it(
    client: httpx.AsyncClient,
) -> None:
    await load(client, "pat-0009", "pat-0001")
    cohort = make_group("Patient/pat-0009", "Patient/pat-0001")
    group = await client.post("/fhir/Group", json=cohort, headers=FHIR_JSON)
    assert group.status_code == 201, group.text
    task = make_roi_task("pat-0009", c.PATRQT, "Patient/pat-0009")

    answer = await run_release(client, (await file_task(client, task))["id"])

    released = references(await released_bundle(client, answer))
    assert "Patient/pat-0009" in released
    assert not any(r.startswith("Group/") for r in released)

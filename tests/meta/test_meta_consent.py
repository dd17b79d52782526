"""A security label set by $meta-add is one the consent engine reads: a release withholds it."""

from __future__ import annotations

import httpx
import pytest

from server.consent import codes as c
from server.settings import Settings
from tests.conftest import FHIR_JSON
from tests.meta.test_meta import ACT_CODE, parameters
from tests.roi.factories import (
    LAW_FIRM,
    file_task,
    load,
    make_roi_task,
    references,
    released_bundle,
    run_release,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The sandbox records of one patient name directory entries that are not loaded.
    return settings.model_copy(update={"referential_integrity": "lenient"})


PART_2 = [{"system": ACT_CODE, "code": "ETH"}, {"system": ACT_CODE, "code": "42CFRPart2"}]


async def release_to_the_attorney(client: httpx.AsyncClient) -> set[str]:
    task = make_roi_task(
        "pat-0001", c.HLEGAL, LAW_FIRM, types=["Claim"], authorization="cons-roi-0001"
    )
    answer = await run_release(client, (await file_task(client, task))["id"])
    return references(await released_bundle(client, answer))


async def test_a_part_2_label_added_withholds_the_claim_and_removed_releases_it(
    client: httpx.AsyncClient,
) -> None:
    await load(client, "pat-0001")
    add = await client.post(
        "/fhir/Claim/claim-0003/$meta-add", json=parameters(security=PART_2), headers=FHIR_JSON
    )
    delete = await client.post(
        "/fhir/Claim/claim-0013/$meta-delete", json=parameters(security=PART_2), headers=FHIR_JSON
    )
    assert add.status_code == delete.status_code == 200

    released = await release_to_the_attorney(client)

    assert released == {"Claim/claim-0013", "Claim/claim-0027"}

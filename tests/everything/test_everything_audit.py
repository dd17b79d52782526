"""$everything is audited: one event naming the patients whose records it returned."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.settings import Settings
from tests.audit.conftest import Audited, opened, patients, subtype
from tests.everything.records import put_all
from tests.everything.test_everything import RECORDS

pytestmark = pytest.mark.anyio


@pytest.fixture
async def audited(settings: Settings) -> AsyncIterator[Audited]:
    async with opened(settings) as value:
        yield value


async def test_an_everything_request_is_one_event_with_its_patient(audited: Audited) -> None:
    await put_all(audited.http, RECORDS)
    before = len(await audited.events())

    response = await audited.http.get("/fhir/Patient/alice/$everything")

    assert response.status_code == 200
    (event,) = (await audited.events())[before:]
    assert subtype(event) == "operation"
    assert patients(event) == {"Patient/alice"}


async def test_the_type_level_event_names_every_patient_returned(audited: Audited) -> None:
    await put_all(audited.http, RECORDS)
    before = len(await audited.events())

    response = await audited.http.get("/fhir/Patient/$everything?_count=1000")

    assert response.status_code == 200
    (event,) = (await audited.events())[before:]
    assert patients(event) == {"Patient/alice", "Patient/bob"}

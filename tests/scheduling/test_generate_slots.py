"""Schedule/$generate-slots: weekly hours into free Slots, idempotent, exceptions left out."""

from __future__ import annotations

from functools import partial

import httpx
import pytest

from tests.released_together import released_together
from tests.scheduling.slots import SERVICE, counts, generate, make_schedule_of, slots_of, weekly

pytestmark = pytest.mark.anyio

DR = "Practitioner/dr-slots"
# 2025-03-03 is a Monday.
MON_WED = weekly((["mon", "wed"], "09:00:00", "10:00:00"), slot_minutes=15)


async def test_weekly_hours_become_free_slots_of_the_slot_length(client: httpx.AsyncClient) -> None:
    schedule = await make_schedule_of(client, DR, "sch-1")

    response = await generate(
        client,
        schedule,
        {
            **MON_WED,
            "parameter": [
                *MON_WED["parameter"],
                *weekly(start="2025-03-03", end="2025-03-09")["parameter"],
            ],
        },
    )

    assert counts(response) == {"created": 8, "existing": 0, "total": 8}
    slots = await slots_of(client, schedule)
    assert [s["start"] for s in slots[:5]] == [
        "2025-03-03T09:00:00Z",
        "2025-03-03T09:15:00Z",
        "2025-03-03T09:30:00Z",
        "2025-03-03T09:45:00Z",
        "2025-03-05T09:00:00Z",
    ]
    assert all(s["status"] == "free" for s in slots)
    assert slots[0]["end"] == "2025-03-03T09:15:00Z"
    assert slots[0]["schedule"] == {"reference": schedule}
    assert slots[0]["serviceType"] == [SERVICE]


async def test_running_twice_makes_no_duplicates(client: httpx.AsyncClient) -> None:
    schedule = await make_schedule_of(client, DR, "sch-2", horizon=("2025-03-03", "2025-03-09"))

    first = counts(await generate(client, schedule, MON_WED))
    second = counts(await generate(client, schedule, MON_WED))

    assert first == {"created": 8, "existing": 0, "total": 8}
    assert second == {"created": 0, "existing": 8, "total": 8}
    assert len(await slots_of(client, schedule)) == 8


async def test_concurrent_runs_make_each_slot_once(client: httpx.AsyncClient) -> None:
    schedule = await make_schedule_of(client, DR, "sch-3", horizon=("2025-03-03", "2025-03-30"))
    calls = [partial(generate, client, schedule, MON_WED) for _ in range(6)]

    answers = [counts(r) for r in await released_together(calls)]

    assert sum(a["created"] for a in answers) == 32
    assert all(a["total"] == 32 for a in answers)
    slots = await slots_of(client, schedule)
    assert len(slots) == len({s["start"] for s in slots}) == 32


async def test_exceptions_leave_out_a_holiday_and_an_afternoon(client: httpx.AsyncClient) -> None:
    schedule = await make_schedule_of(client, DR, "sch-4", horizon=("2025-03-03", "2025-03-09"))
    parameters = weekly(
        (["mon", "tue"], "09:00:00", "11:00:00"),
        slot_minutes=30,
        exception=[
            {"date": "2025-03-03"},
            {"date": "2025-03-04", "start": "10:00:00", "end": "11:00:00"},
        ],
    )

    assert counts(await generate(client, schedule, parameters))["created"] == 2
    assert [s["start"] for s in await slots_of(client, schedule)] == [
        "2025-03-04T09:00:00Z",
        "2025-03-04T09:30:00Z",
    ]


async def test_a_time_zone_places_local_hours(client: httpx.AsyncClient) -> None:
    schedule = await make_schedule_of(client, DR, "sch-5", horizon=("2025-03-03", "2025-03-03"))
    parameters = weekly(
        (["mon"], "09:00:00", "09:30:00"), slot_minutes=30, timezone="America/New_York"
    )

    assert counts(await generate(client, schedule, parameters))["created"] == 1
    assert (await slots_of(client, schedule))[0]["start"] == "2025-03-03T14:00:00Z"


@pytest.mark.parametrize(
    ("parameters", "expression"),
    [
        pytest.param(
            weekly(slot_minutes=15, start="2025-03-03", end="2025-03-04"),
            "Parameters.parameter",
            id="no-hours",
        ),
        pytest.param(
            weekly((["mon"], "09:00:00", "10:00:00"), start="2025-03-03", end="2025-03-04"),
            "Parameters.parameter",
            id="no-length",
        ),
        pytest.param(
            weekly(
                (["funday"], "09:00:00", "10:00:00"),
                slot_minutes=15,
                start="2025-03-03",
                end="2025-03-04",
            ),
            "Parameters.parameter[0].part[0]",
            id="bad-day",
        ),
        pytest.param(
            weekly(
                (["mon"], "10:00:00", "09:00:00"),
                slot_minutes=15,
                start="2025-03-03",
                end="2025-03-04",
            ),
            "Parameters.parameter[0]",
            id="end-before-start",
        ),
        pytest.param(
            weekly((["mon"], "09:00:00", "10:00:00"), slot_minutes=15),
            "Parameters.parameter",
            id="no-horizon",
        ),
        pytest.param(
            weekly(
                (["mon"], "09:00:00", "10:00:00"),
                slot_minutes=15,
                start="2025-03-03",
                end="2025-03-04",
                timezone="Mars/Olympus",
            ),
            "Parameters.parameter[4]",
            id="bad-zone",
        ),
        pytest.param({"resourceType": "Patient"}, "Parameters", id="not-parameters"),
    ],
)
async def test_bad_parameters_are_a_400_naming_the_element(
    client: httpx.AsyncClient, parameters: dict[str, object], expression: str
) -> None:
    schedule = await make_schedule_of(client, DR, "sch-bad")

    response = await generate(client, schedule, parameters)

    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_an_unknown_schedule_is_a_404(client: httpx.AsyncClient) -> None:
    response = await generate(client, "Schedule/nope", MON_WED)
    assert response.status_code == 404

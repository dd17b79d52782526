"""v2 DTM/TS/DT -> FHIR date/dateTime: precision kept, offsets kept or supplied."""

from __future__ import annotations

import pytest

from mappers.config import MappingConfig
from mappers.context import MapContext
from mappers.datetimes import epoch_microseconds, to_fhir_date, to_fhir_datetime


@pytest.mark.parametrize(
    ("v2", "fhir"),
    [
        pytest.param("2024", "2024", id="year"),
        pytest.param("202402", "2024-02", id="month"),
        pytest.param("20240229", "2024-02-29", id="day"),
        pytest.param("2024022913", "2024-02-29T13:00:00Z", id="hour"),
        pytest.param("202402291305", "2024-02-29T13:05:00Z", id="minute"),
        pytest.param("20240229130507", "2024-02-29T13:05:07Z", id="second"),
        pytest.param("20240229130507.1234", "2024-02-29T13:05:07.1234Z", id="fraction"),
        pytest.param("198908181126+0215", "1989-08-18T11:26:00+02:15", id="odd-offset"),
        pytest.param("20240229130507-0500", "2024-02-29T13:05:07-05:00", id="negative-offset"),
        pytest.param("20240229130507+0000", "2024-02-29T13:05:07Z", id="utc-offset"),
    ],
)
def test_datetime_keeps_precision_and_offset(v2: str, fhir: str) -> None:
    assert to_fhir_datetime(v2) == fhir


@pytest.mark.parametrize(
    ("v2", "zone", "fhir"),
    [
        pytest.param("202401151200", "America/New_York", "2024-01-15T12:00:00-05:00", id="winter"),
        pytest.param("202407151200", "America/New_York", "2024-07-15T12:00:00-04:00", id="summer"),
        pytest.param("20240715", "America/New_York", "2024-07-15", id="date-needs-no-zone"),
    ],
)
def test_time_without_offset_is_read_in_the_site_zone(v2: str, zone: str, fhir: str) -> None:
    assert to_fhir_datetime(v2, zone) == fhir


@pytest.mark.parametrize(
    "v2",
    [
        pytest.param("20241301", id="month-13"),
        pytest.param("20240230", id="february-30"),
        pytest.param("2024022925", id="hour-25"),
        pytest.param("yesterday", id="text"),
        pytest.param("2024-02-29", id="iso-not-v2"),
        pytest.param("", id="empty"),
    ],
)
def test_invalid_values_give_none(v2: str) -> None:
    assert to_fhir_datetime(v2) is None
    assert to_fhir_date(v2) is None


def test_date_drops_the_time() -> None:
    assert to_fhir_date("198808181126+0215") == "1988-08-18"


def test_epoch_microseconds_honours_the_offset() -> None:
    assert epoch_microseconds("19700101010000+0100") == 0
    assert epoch_microseconds("19700101000000.5") == 500_000
    assert epoch_microseconds("bad") is None


def test_an_invalid_value_is_reported_every_time_it_comes() -> None:
    """The conversions are remembered; the warning still names each field that held one."""
    ctx = MapContext(MappingConfig())
    assert ctx.datetime("2024133", "EVN-2") is None
    assert ctx.date("2024133", "PID-7") is None
    assert ctx.datetime("2024133", "EVN-2") is None
    assert ctx.result.warnings == [
        "EVN-2: '2024133' is not a valid date/time; left out",
        "PID-7: '2024133' is not a valid date/time; left out",
        "EVN-2: '2024133' is not a valid date/time; left out",
    ]
    assert ctx.datetime("20240229130507", "EVN-2") == "2024-02-29T13:05:07Z"
    assert ctx.datetime('""', "EVN-2") is None  # an explicit null is no value, no warning
    assert len(ctx.result.warnings) == 3

"""map_message: routing by MSH-9, clear reasons for what is out of scope."""

from __future__ import annotations

import re

import pytest

from mappers import UnsupportedMessage
from mappers.dispatch import ROUTES
from tests.mappers.messages import map_lines, msh


@pytest.mark.parametrize(
    ("message_type", "reason"),
    [
        pytest.param("BAR^P01", "Account is not held", id="bar-add-account"),
        pytest.param("SIU^S23", "S12-S17, S26", id="siu-block"),
        pytest.param("DFT^P99", "DFT^P03", id="dft-unknown-event"),
        pytest.param("ORU^R01", "ORU^R01 messages are not mapped", id="other-family"),
    ],
)
def test_out_of_scope_messages_say_why(message_type: str, reason: str) -> None:
    with pytest.raises(UnsupportedMessage, match=re.escape(reason)) as raised:
        map_lines(msh(message_type), "PID|1||MRN1^^^HOSP^MR||DOE")
    assert raised.value.code == "200"


def test_routes_cover_the_events_in_scope() -> None:
    assert {f"{code}^{event}" for code, event in ROUTES} >= {
        "ADT^A01", "ADT^A04", "ADT^A05", "ADT^A08", "ADT^A28", "ADT^A31", "ADT^A34", "ADT^A40",
        "SIU^S12", "SIU^S13", "SIU^S14", "SIU^S15", "SIU^S17", "SIU^S26", "DFT^P03", "MDM^T02",
    }  # fmt: skip


def test_trigger_event_from_evn_when_msh_9_has_none() -> None:
    # v2.1/2.2 senders may put the event in EVN-1 only.
    result = map_lines(msh("ADT"), "EVN|A04|20240101", "PID|1||MRN1^^^HOSP^MR||DOE")
    assert result.resources[0].resource["resourceType"] == "Patient"


def test_invalid_date_is_a_warning_not_an_error() -> None:
    result = map_lines(msh("ADT^A04"), "PID|1||MRN1^^^HOSP^MR||DOE||19801350")
    assert "birthDate" not in result.resources[0].resource
    assert any("PID-7" in w for w in result.warnings)


def test_invalid_evn_2_falls_back_to_msh_7() -> None:
    result = map_lines(
        msh("ADT^A04", when="20240101120000+0100"), "EVN|A04|2024133", "PID|1||M1^^^H"
    )
    assert result.event_time == "2024-01-01T12:00:00+01:00"
    assert result.warnings == ["EVN-2: '2024133' is not a valid date/time; left out"]

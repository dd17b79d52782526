"""Last-Modified and Expires dates: RFC 9110's IMF-fixdate (RFC 9110 section 5.6.7)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from server.fhir.clock import http_date


@given(st.integers(min_value=-(10**15), max_value=2**52))
def test_the_date_is_the_standard_librarys(us: int) -> None:
    expected = format_datetime(datetime.fromtimestamp(us // 1_000_000, tz=UTC), usegmt=True)
    assert http_date(us) == expected


def test_an_instant_within_a_second_shows_the_second() -> None:
    assert http_date(1_700_000_000_999_999) == "Tue, 14 Nov 2023 22:13:20 GMT"

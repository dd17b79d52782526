"""The preferred contact point: rank first, then use; old and ended ones are not in use."""

from __future__ import annotations

from typing import Any

import pytest

from server.reminders.contact import preferred_contact
from server.reminders.senders import ANY_CONTACT
from tests.reminders.world import email, phone

EMAIL_ONLY = frozenset({"email"})


@pytest.mark.parametrize(
    ("telecom", "systems", "expected"),
    [
        pytest.param(
            [email("b@x.org", rank=2), phone("1", rank=1)], ANY_CONTACT, "1", id="rank-wins"
        ),
        pytest.param([email("b@x.org"), phone("1", rank=3)], ANY_CONTACT, "1", id="ranked-first"),
        pytest.param(
            [phone("home", use="home"), phone("cell", use="mobile")], ANY_CONTACT, "cell",
            id="mobile-before-home",
        ),
        pytest.param([email("old@x.org", use="old"), email("new@x.org")], ANY_CONTACT, "new@x.org",
                     id="old-skipped"),
        pytest.param(
            [email("gone@x.org", rank=1, period={"end": "2020-01-01"}), email("now@x.org")],
            ANY_CONTACT, "now@x.org", id="ended-skipped",
        ),
        pytest.param([phone("1", rank=1), email("a@x.org", rank=2)], EMAIL_ONLY, "a@x.org",
                     id="sender-systems"),
        pytest.param([phone("1")], EMAIL_ONLY, None, id="none-usable"),
        pytest.param([{"system": "fax", "value": "9"}], ANY_CONTACT, None, id="fax-is-no-contact"),
    ],
)  # fmt: skip
def test_preferred_contact(
    telecom: list[dict[str, Any]], systems: frozenset[str], expected: str | None
) -> None:
    found = preferred_contact({"telecom": telecom}, systems, today="2026-12-03")

    assert (found or {}).get("value") == expected

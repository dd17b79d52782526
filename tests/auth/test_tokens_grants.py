"""What a Backend Services client is granted, and how often it may ask."""

from __future__ import annotations

import pytest

from server.auth.clients import granted_scopes
from server.auth.rate_limit import RateLimiter
from tests.auth.tokens import Clock


@pytest.mark.parametrize(
    ("requested", "registered", "granted"),
    [
        pytest.param("system/Patient.rs", "system/Patient.rs", "system/Patient.rs", id="same"),
        pytest.param("system/Patient.rs", "system/Patient.read", "system/Patient.rs", id="v1-v2"),
        pytest.param("system/Patient.read", "system/Patient.rs", "system/Patient.read", id="v2-v1"),
        pytest.param("system/Patient.r", "system/*.rs", "system/Patient.r", id="narrower"),
        pytest.param("system/Patient.cruds", "system/*.*", "system/Patient.cruds", id="star"),
        pytest.param("system/*.rs", "system/Patient.rs", "", id="wider-type"),
        pytest.param("system/Patient.rs", "system/Patient.r", "", id="wider-letters"),
        pytest.param("system/Patient.write", "system/Patient.read", "", id="write-not-read"),
        pytest.param("patient/Patient.rs", "system/*.*", "", id="patient-context"),
        pytest.param("user/Patient.rs", "system/*.*", "", id="user-context"),
        pytest.param("openid fhirUser", "system/*.*", "", id="not-resource-scopes"),
        pytest.param(
            "system/Observation.rs?category=laboratory",
            "system/Observation.rs",
            "system/Observation.rs?category=laboratory",
            id="criteria-narrow-an-open-scope",
        ),
        pytest.param(
            "system/Observation.rs",
            "system/Observation.rs?category=laboratory",
            "",
            id="no-criteria-wider-than-granular",
        ),
        pytest.param(
            "system/Patient.rs system/Patient.rs system/Claim.rs",
            "system/*.rs",
            "system/Patient.rs system/Claim.rs",
            id="each-once-in-order",
        ),
    ],
)
def test_granted_scopes(requested: str, registered: str, granted: str) -> None:
    assert " ".join(granted_scopes(requested, registered)) == granted


def test_a_client_past_its_burst_waits_for_the_refill() -> None:
    clock = Clock(1000.0)
    limiter = RateLimiter(burst=3, per_minute=6, clock=clock)
    assert [limiter.retry_after("a") for _ in range(3)] == [None] * 3
    assert limiter.retry_after("a") == 10  # one request per ten seconds
    assert limiter.retry_after("b") is None  # another client has its own bucket
    clock.now += 10
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") is not None

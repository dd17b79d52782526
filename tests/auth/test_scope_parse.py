"""SMART App Launch 2.x scopes: v1 and v2 syntax, granular criteria, non-resource scopes."""

from __future__ import annotations

import pytest

from server.auth.scopes import Context, Scope, parse_scopes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("patient/Patient.read", Scope(Context.PATIENT, "Patient", "rs"), id="v1-read"),
        pytest.param("user/*.write", Scope(Context.USER, None, "cud"), id="v1-write"),
        pytest.param("system/*.*", Scope(Context.SYSTEM, None, "cruds"), id="v1-star"),
        pytest.param("patient/Patient.rs", Scope(Context.PATIENT, "Patient", "rs"), id="v2-rs"),
        pytest.param("user/Claim.cruds", Scope(Context.USER, "Claim", "cruds"), id="v2-cruds"),
        pytest.param("system/*.rs", Scope(Context.SYSTEM, None, "rs"), id="v2-star"),
        pytest.param("system/Task.u", Scope(Context.SYSTEM, "Task", "u"), id="v2-one-letter"),
        pytest.param(
            "patient/Appointment.rs?status=booked",
            Scope(Context.PATIENT, "Appointment", "rs", (("status", "booked"),)),
            id="v2-granular",
        ),
        pytest.param(
            "user/Consent.rs?category=a&category=b,c",
            Scope(Context.USER, "Consent", "rs", (("category", "a"), ("category", "b,c"))),
            id="v2-granular-two",
        ),
    ],
)
def test_resource_scopes_parse(raw: str, expected: Scope) -> None:
    assert parse_scopes(raw) == (expected,)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("openid fhirUser launch/patient offline_access online_access", id="oidc"),
        pytest.param("launch", id="launch"),
        pytest.param("patient/Patient.sr", id="letters-out-of-order"),
        pytest.param("patient/Patient.rr", id="letter-twice"),
        pytest.param("patient/Patient.x", id="unknown-letter"),
        pytest.param("patient/Patient.", id="no-letters"),
        pytest.param("nobody/Patient.rs", id="unknown-context"),
        pytest.param("patient/patient.rs", id="not-a-type-name"),
        pytest.param("patient/Patient.read?status=x", id="criteria-on-v1"),
        pytest.param("patient/*.rs?status=x", id="criteria-on-wildcard"),
        pytest.param("patient/Patient", id="no-permission"),
    ],
)
def test_other_scopes_grant_nothing(raw: str) -> None:
    assert parse_scopes(raw) == ()


def test_several_scopes_in_order_each_once() -> None:
    scopes = parse_scopes("openid  patient/Patient.read\tpatient/Claim.rs patient/Patient.read")
    assert scopes == (
        Scope(Context.PATIENT, "Patient", "rs"),
        Scope(Context.PATIENT, "Claim", "rs"),
    )

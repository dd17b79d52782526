"""What the engine reads from a resource, and the labelled copy a permit releases."""

from __future__ import annotations

from typing import Any

import pytest

from server.consent import (
    Basis,
    Coding,
    Decision,
    Effect,
    TimeRange,
    candidate_from_resource,
    labelled_copy,
    relevant_date,
)
from server.consent import codes as c
from server.fhir.validation import validate_resource
from tests.consent.factories import (
    make_claim,
    make_coverage,
    make_note,
    make_patient_record,
)

NO_REDISCLOSURE = Coding(c.V3_ACT_CODE, c.NORDSCLCD)


def permit(*labels: Coding) -> Decision:
    return Decision("Claim", "x", Effect.PERMIT, Basis.DEFAULT, "test", add_security=labels)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        pytest.param(
            make_claim("x", "2024-02-10"), TimeRange.from_value("2024-02-10"), id="claim-created"
        ),
        pytest.param(
            {**make_claim("x", "2024-02-10"), "billablePeriod": {"start": "2023-12-30"}},
            TimeRange.from_period({"start": "2023-12-30"}),
            id="claim-billable-period-first",
        ),
        pytest.param(
            make_coverage(),
            TimeRange.from_period({"start": "2023-01-01", "end": "2025-12-31"}),
            id="coverage-period",
        ),
        pytest.param(make_patient_record(), None, id="patient-undated"),
        pytest.param({"resourceType": "Claim", "created": "yesterday"}, None, id="unreadable-date"),
    ],
)
def test_relevant_date(resource: dict[str, Any], expected: TimeRange | None) -> None:
    assert relevant_date(resource["resourceType"], resource) == expected


def test_period_end_date_covers_that_whole_day() -> None:
    period = TimeRange.from_period({"start": "2024-01-01", "end": "2024-12-31"})

    assert period.overlaps(TimeRange.from_value("2024-12-31T23:59:59Z"))
    assert not period.overlaps(TimeRange.from_value("2025-01-01"))


def test_candidate_reads_labels_and_codes_only_when_asked() -> None:
    claim = make_claim("x", "2024-02-10", [c.ETH])

    plain = candidate_from_resource(claim)
    with_codes = candidate_from_resource(claim, with_codes=True)

    assert plain.labels == frozenset({Coding(c.V3_ACT_CODE, c.ETH)})
    assert plain.codes == frozenset()
    assert (
        Coding("http://terminology.hl7.org/CodeSystem/claim-type", "professional")
        in with_codes.codes
    )
    assert Coding(c.V3_ACT_CODE, c.ETH) not in with_codes.codes  # meta is not data


def test_labelled_copy_adds_the_label_without_touching_the_original() -> None:
    claim = make_claim("x", "2024-02-10", [c.ETH])

    released = labelled_copy(claim, permit(NO_REDISCLOSURE))

    assert released["meta"]["security"][-1] == NO_REDISCLOSURE.to_fhir()
    assert len(claim["meta"]["security"]) == 1
    validate_resource(released, "Claim")


def test_labelled_copy_does_not_repeat_a_label_already_there() -> None:
    claim = make_claim("x", "2024-02-10", [c.ETH, c.NORDSCLCD])

    released = labelled_copy(claim, permit(NO_REDISCLOSURE))

    assert released["meta"]["security"] == claim["meta"]["security"]


def test_labelled_copy_of_unlabelled_permit_is_the_resource() -> None:
    note = make_note("n", "2024-01-01")

    assert labelled_copy(note, permit()) is note


def test_labelled_copy_of_a_denied_resource_is_refused() -> None:
    denied = Decision("Claim", "x", Effect.DENY, Basis.DEFAULT, "test")

    with pytest.raises(ValueError, match="denied"):
        labelled_copy(make_claim("x", "2024-02-10"), denied)


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(make_claim("x", "2024-02-10", [c.ETH]), id="Claim"),
        pytest.param(make_note("n", "2024-01-01", [c.PSYTHPN]), id="DocumentReference"),
        pytest.param(make_coverage(), id="Coverage"),
    ],
)
def test_factory_records_are_valid_fhir(resource: dict[str, Any]) -> None:
    validate_resource(resource, resource["resourceType"])

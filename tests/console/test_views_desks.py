"""The chart, records desk and front desk views: API answers in, what the pages show out."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.console.views.chart import patient_summary, timeline
from server.console.views.front_desk import claims_to_fix, communications, schedule_grid, tasks
from server.console.views.roi import disclosures, release_view, request_view

ROI = {
    "coding": [
        {"system": "https://fhirport.dev/CodeSystem/task-type", "code": "release-of-information"}
    ]
}


def appointment(
    ident: str, start: str, end: str, practitioner: str, **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": ident,
        "status": "booked",
        "start": start,
        "end": end,
        "participant": [
            {"actor": {"reference": "Patient/p1", "display": "Ann Lee"}, "status": "accepted"},
            {"actor": {"reference": practitioner}, "status": "accepted"},
        ],
        **extra,
    }


def test_timeline_newest_first_with_dating_elements() -> None:
    events = timeline(
        [
            {"resourceType": "Patient", "id": "p1"},
            appointment(
                "a1",
                "2024-02-13T09:00:00-05:00",
                "2024-02-13T09:20:00-05:00",
                "Practitioner/x",
                description="Follow-up",
            ),
            {
                "resourceType": "Coverage",
                "id": "c1",
                "status": "active",
                "period": {"start": "2023-01-01"},
                "payor": [{"display": "Medicare"}],
            },
            {
                "resourceType": "Claim",
                "id": "cl1",
                "status": "active",
                "billablePeriod": {"start": "2024-03-01"},
                "total": {"value": 120.5, "currency": "USD"},
            },
            {
                "resourceType": "Consent",
                "id": "k1",
                "status": "active",
                "dateTime": "2022-05-01",
                "category": [{"text": "Privacy"}],
            },
            {
                "resourceType": "Encounter",
                "id": "e1",
                "status": "finished",
                "class": {"code": "AMB"},
                "period": {"start": "2024-02-13T09:05:00-05:00"},
            },
            {
                "resourceType": "RelatedPerson",
                "id": "r1",
                "meta": {"lastUpdated": "2021-01-01T00:00:00Z"},
            },
        ]
    )
    assert [e.reference for e in events] == [
        "Claim/cl1",
        "Encounter/e1",
        "Appointment/a1",
        "Coverage/c1",
        "Consent/k1",
        "RelatedPerson/r1",
    ]
    by_ref = {e.reference: e for e in events}
    assert by_ref["Appointment/a1"].title == "Follow-up"
    assert by_ref["Coverage/c1"].title.endswith("Medicare")
    assert by_ref["Claim/cl1"].detail == "120.5 USD"
    assert by_ref["Encounter/e1"].title == "AMB"
    assert by_ref["Consent/k1"].day == "2022-05-01"


def test_patient_summary() -> None:
    summary = patient_summary(
        {
            "resourceType": "Patient",
            "id": "p1",
            "name": [
                {"use": "old", "family": "Smith"},
                {"use": "official", "family": "Lee", "given": ["Ann", "M"]},
            ],
            "birthDate": "1980-01-01",
            "gender": "female",
            "identifier": [{"type": {"text": "MRN"}, "value": "123"}],
            "deceasedBoolean": False,
        }
    )
    assert (summary.name, summary.birth_date, summary.identifiers, summary.deceased) == (
        "Ann M Lee",
        "1980-01-01",
        ("MRN 123",),
        False,
    )


def roi_task(**overrides: Any) -> dict[str, Any]:
    task = {
        "resourceType": "Task",
        "id": "t1",
        "status": "requested",
        "code": ROI,
        "for": {"reference": "Patient/p1"},
        "requester": {"reference": "Organization/law"},
        "restriction": {
            "recipient": [{"reference": "Organization/law", "display": "Law firm"}],
            "period": {"end": "2026-12-10"},
        },
        "authoredOn": "2026-11-10",
        "reasonCode": {"coding": [{"code": "HLEGAL"}]},
        "input": [{"type": {"coding": [{"code": "resource-type"}]}, "valueCode": "Claim"}],
    }
    return {**task, **overrides}


def test_request_buckets_by_due_date() -> None:
    today = date(2026, 12, 3)
    assert request_view(roi_task(), today).bucket == "due-soon"
    assert (
        request_view(roi_task(restriction={"period": {"end": "2026-12-01"}}), today).bucket
        == "overdue"
    )
    assert (
        request_view(roi_task(restriction={"period": {"end": "2027-01-01"}}), today).bucket
        == "open"
    )
    assert request_view(roi_task(status="completed"), today).bucket == "closed"


def test_request_view_reads_the_shape() -> None:
    view = request_view(
        roi_task(
            extension=[
                {
                    "url": "https://fhirport.dev/fhir/StructureDefinition/roi-due-extension",
                    "extension": [{"url": "reason", "valueString": "records off site"}],
                }
            ],
            output=[{"type": {"coding": [{"code": "released-count"}]}, "valueInteger": 4}],
        ),
        date(2026, 12, 3),
    )
    assert (view.patient, view.recipient, view.purpose, view.received, view.due) == (
        "Patient/p1",
        "Law firm",
        "HLEGAL",
        "2026-11-10",
        "2026-12-10",
    )
    assert view.record_types == ("Claim",)
    assert view.extended == "records off site"
    assert view.outputs == (("released-count", "4"),)


def test_release_view_with_decisions() -> None:
    view = release_view(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "outcome", "valueCode": "released"},
                {"name": "task", "valueReference": {"reference": "Task/t1"}},
                {"name": "release", "valueReference": {"reference": "Bundle/b1"}},
                {"name": "disclosure", "valueReference": {"reference": "AuditEvent/d1"}},
                {"name": "released", "valueInteger": 3},
                {"name": "denied", "valueInteger": 1},
                {"name": "denied-by", "part": [{"name": "part2", "valueInteger": 1}]},
                {
                    "name": "decision",
                    "part": [
                        {"name": "resource", "valueReference": {"reference": "Claim/c9"}},
                        {"name": "effect", "valueCode": "deny"},
                        {"name": "basis", "valueCode": "part2"},
                        {"name": "reason", "valueString": "42 CFR Part 2 record"},
                    ],
                },
            ],
        }
    )
    assert (view.outcome, view.released, view.denied, view.denied_by) == (
        "released",
        3,
        1,
        (("part2", 1),),
    )
    assert view.records == (("release", "Bundle/b1"), ("disclosure", "AuditEvent/d1"))
    [decision] = view.decisions
    assert (decision.resource, decision.effect, decision.reason) == (
        "Claim/c9",
        "deny",
        "42 CFR Part 2 record",
    )


def test_disclosures() -> None:
    [row] = disclosures(
        [
            {
                "resourceType": "AuditEvent",
                "id": "d1",
                "recorded": "2026-12-01T10:00:00Z",
                "purposeOfEvent": [{"coding": [{"code": "HLEGAL"}]}],
                "agent": [
                    {"type": {"coding": [{"code": "110153"}]}, "who": {"display": "fhirport"}},
                    {
                        "type": {"coding": [{"code": "110152"}]},
                        "who": {"reference": "Organization/law"},
                    },
                ],
                "entity": [
                    {"what": {"reference": "Patient/p1"}},
                    {"what": {"reference": "Bundle/b1"}, "description": "Released 3"},
                ],
            }
        ]
    )
    assert (row.recipient, row.purpose, row.description) == (
        "Organization/law",
        "HLEGAL",
        "Released 3",
    )


def test_schedule_grid_per_practitioner_and_quarter_hour() -> None:
    grid = schedule_grid(
        [
            appointment(
                "a1", "2024-02-13T09:00:00-05:00", "2024-02-13T09:20:00-05:00", "Practitioner/jones"
            ),
            appointment(
                "a2", "2024-02-13T10:30:00-05:00", "2024-02-13T10:45:00-05:00", "Practitioner/jones"
            ),
            appointment(
                "a3", "2024-02-13T09:10:00-05:00", "2024-02-13T09:40:00-05:00", "Practitioner/adams"
            ),
        ],
        [
            {
                "resourceType": "Practitioner",
                "id": "jones",
                "name": [{"family": "Jones", "given": ["Amy"]}],
            }
        ],
    )
    assert grid.columns == (
        ("Practitioner/jones", "Amy Jones"),
        ("Practitioner/adams", "Practitioner/adams"),
    )
    times = [row.time for row in grid.rows]
    assert times[0] == "09:00"
    assert times[-1] == "10:30"
    assert len(times) == 7
    nine = grid.rows[0]
    assert [b.id for b in nine.cells[0]] == ["a1"]
    assert [b.id for b in nine.cells[1]] == ["a3"]
    assert (nine.cells[0][0].start, nine.cells[0][0].end, nine.cells[0][0].patient) == (
        "09:00",
        "09:20",
        "Ann Lee",
    )
    assert [b.id for b in grid.rows[6].cells[0]] == ["a2"]


def test_empty_day_is_an_empty_grid() -> None:
    grid = schedule_grid([])
    assert grid.columns == ()
    assert grid.rows == ()


def test_work_lists() -> None:
    [offer] = tasks(
        [
            {
                "resourceType": "Task",
                "id": "w1",
                "status": "requested",
                "for": {"reference": "Patient/p1"},
                "code": {"text": "waitlist offer"},
                "focus": {"reference": "Slot/s1"},
                "restriction": {"period": {"end": "2026-12-04T12:00:00Z"}},
            }
        ]
    )
    assert (offer.reference, offer.patient, offer.notes) == (
        "Task/w1",
        "Patient/p1",
        ("Slot/s1 until 2026-12-04T12:00:00Z",),
    )
    [reminder] = communications(
        [
            {
                "resourceType": "Communication",
                "id": "m1",
                "status": "completed",
                "subject": {"reference": "Patient/p1"},
                "sent": "2026-12-02",
                "medium": [{"text": "SMS"}],
                "payload": [{"contentString": "See you tomorrow"}],
            }
        ]
    )
    assert (reminder.title, reminder.notes) == ("SMS", ("See you tomorrow",))
    [claim] = claims_to_fix(
        [
            {
                "resourceType": "Claim",
                "id": "c1",
                "status": "active",
                "patient": {"reference": "Patient/p1"},
                "extension": [
                    {
                        "url": "https://fhirport.dev/fhir/StructureDefinition/scrub-edit",
                        "extension": [{"url": "diagnostics", "valueString": "No coverage on file"}],
                    }
                ],
            }
        ]
    )
    assert claim.notes == ("No coverage on file",)


def test_an_operation_the_server_lacks_is_not_available() -> None:
    from server.console.views.operation_answer import operation_answer

    absent = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-supported", "diagnostics": "no $x"}],
    }
    assert not operation_answer(404, absent).available
    assert not operation_answer(405, None).available
    gone = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found"}],
    }
    assert operation_answer(404, gone).available
    answered = operation_answer(
        200,
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "ready", "valueBoolean": False},
                {"name": "missing", "part": [{"name": "item", "valueString": "coverage"}]},
            ],
        },
    )
    assert answered.available
    assert answered.ok
    assert answered.values == (("ready", "False"), ("missing", "item: coverage"))
    refused = operation_answer(
        403,
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "forbidden", "diagnostics": "no scope"}],
        },
    )
    assert refused.available
    assert not refused.ok
    assert refused.issues[0].diagnostics == "no scope"


def test_the_grid_names_patients_from_the_included_ones() -> None:
    booking = appointment(
        "a1", "2024-02-13T09:00:00-05:00", "2024-02-13T09:20:00-05:00", "Practitioner/jones"
    )
    booking["participant"][0]["actor"] = {"reference": "Patient/p7"}
    grid = schedule_grid(
        [booking], [{"resourceType": "Patient", "id": "p7", "name": [{"family": "Ito"}]}]
    )
    assert grid.rows[0].cells[0][0].patient == "Ito"

"""v2 datatypes -> FHIR datatypes, one case per IG sheet rule."""

from __future__ import annotations

from typing import Any

import pytest

from hl7.er7 import parse
from mappers import MappingConfig
from mappers.context import MapContext
from mappers.datatypes.addresses import xad_address
from mappers.datatypes.codes import cwe_concept
from mappers.datatypes.identifiers import cx_identifier
from mappers.datatypes.names import xpn_name
from mappers.datatypes.organizations import xon_organization
from mappers.datatypes.practitioners import xcn_practitioner
from mappers.datatypes.telecom import xtn_contact
from mappers.identity import deterministic_id
from mappers.rules import Convert

MSH = "MSH|^~\\&|A|B|C|D|20240101||ADT^A04|1|P|2.5.1"


def convert(function: Convert, er7_field: str, ctx: MapContext | None = None) -> Any:
    """Run a datatype map on the first repetition of an ER7 field."""
    segment = parse(f"{MSH}\rZZZ|{er7_field}").segments[1]
    return function(segment.reps(1)[0], ctx or MapContext(MappingConfig()))


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        pytest.param(
            "DOE^JANE^Q^JR^DR^PHD^L",
            {
                "family": "DOE",
                "given": ["JANE", "Q"],
                "suffix": ["JR", "PHD"],
                "prefix": ["DR"],
                "use": "official",
            },
            id="full",
        ),
        pytest.param(
            "DOE&VAN^JANE^^^^^N",
            {"family": "DOE", "given": ["JANE"], "use": "nickname"},
            id="fn-surname",
        ),
        pytest.param('""^JANE', {"given": ["JANE"]}, id="explicit-null-family"),
        pytest.param("^^^^^^L", None, id="no-name"),
    ],
)
def test_xpn_to_human_name(field: str, expected: dict[str, Any] | None) -> None:
    assert convert(xpn_name, field) == expected


@pytest.mark.parametrize(
    ("field", "config", "system"),
    [
        pytest.param(
            "123^^^HOSP^MR", MappingConfig(), "urn:fhirport:id:hosp", id="namespace-local"
        ),
        pytest.param(
            "123^^^&2.16.840.1.1&ISO^MR", MappingConfig(), "urn:oid:2.16.840.1.1", id="oid"
        ),
        pytest.param(
            "123^^^HOSP^MR",
            MappingConfig(authority_systems={"HOSP": "https://hosp.example/mrn"}),
            "https://hosp.example/mrn",
            id="configured",
        ),
        pytest.param(
            "123^^^^MR", MappingConfig(), "urn:oid:2.16.840.1.113883.3.9999.1", id="no-authority"
        ),
        pytest.param("123^^^USSSA^SS", MappingConfig(), "http://hl7.org/fhir/sid/us-ssn", id="ssa"),
    ],
)
def test_cx_authority_becomes_system(field: str, config: MappingConfig, system: str) -> None:
    identifier = convert(cx_identifier, field, MapContext(config))
    assert identifier["system"] == system
    assert identifier["value"] == "123"


def test_cx_type_and_period() -> None:
    identifier = convert(cx_identifier, "123^^^HOSP^MR^^20200101^20301231")
    assert identifier["type"]["coding"][0]["code"] == "MR"
    assert identifier["period"] == {"start": "2020-01-01", "end": "2030-12-31"}


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        pytest.param(
            "1 MAIN ST&MAIN ST&1^APT 2^TOWN^ST^12345^USA^M^^COUNTY",
            {
                "line": ["1 MAIN ST", "MAIN ST", "1", "APT 2"],
                "city": "TOWN",
                "state": "ST",
                "postalCode": "12345",
                "country": "USA",
                "district": "COUNTY",
                "type": "postal",
            },
            id="postal",
        ),
        pytest.param("^^TOWN^^^^B", {"city": "TOWN", "use": "work"}, id="business"),
        pytest.param("^^^^^^H", None, id="only-a-type"),
    ],
)
def test_xad_to_address(field: str, expected: dict[str, Any] | None) -> None:
    assert convert(xad_address, field) == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        pytest.param(
            "555-0101^PRN^PH", {"system": "phone", "value": "555-0101", "use": "home"}, id="phone"
        ),
        pytest.param(
            "^NET^Internet^a@b.org",
            {"system": "email", "value": "a@b.org"},  # NET has no FHIR use in the IG
            id="email",
        ),
        pytest.param(
            "^^FX^^1^217^5550101^22",
            {"system": "fax", "value": "+1 217 5550101 X22"},
            id="composed",
        ),
        pytest.param(
            "555^^CP", {"system": "phone", "value": "555", "use": "mobile"}, id="cell-is-mobile"
        ),
        pytest.param(
            "^^^a@b.org", {"system": "email", "value": "a@b.org"}, id="email-without-type"
        ),
        pytest.param("^PRN^PH", None, id="no-number"),
        pytest.param(
            "a@b.org^WPN^Internet",
            {"system": "email", "value": "a@b.org", "use": "work"},
            id="email-in-xtn-1",
        ),
    ],
)
def test_xtn_to_contact_point(field: str, expected: dict[str, Any] | None) -> None:
    assert convert(xtn_contact, field) == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        pytest.param(
            "I10.1^Hypertension^I10^401.9^HTN^I9C^2019",
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/sid/icd-10-cm",
                        "version": "2019",
                        "code": "I10.1",
                        "display": "Hypertension",
                    },
                    {
                        "system": "http://hl7.org/fhir/sid/icd-9-cm",
                        "code": "401.9",
                        "display": "HTN",
                    },
                ]
            },
            id="two-triplets",
        ),
        pytest.param(
            "F^Female^HL70001",
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0001",
                        "code": "F",
                        "display": "Female",
                    }
                ]
            },
            id="v2-table",
        ),
        pytest.param("^Chest pain", {"text": "Chest pain"}, id="text-only"),
        pytest.param(
            "X1^Thing^99ZZZ^^^^^^Original",
            {
                "coding": [
                    {"system": "urn:fhirport:codesystem:99ZZZ", "code": "X1", "display": "Thing"}
                ],
                "text": "Original",
            },
            id="local-system-and-original-text",
        ),
    ],
)
def test_cwe_to_codeable_concept(field: str, expected: dict[str, Any]) -> None:
    assert convert(cwe_concept, field) == expected


def test_xcn_with_id_emits_a_create_only_practitioner() -> None:
    ctx = MapContext(MappingConfig())
    reference = convert(xcn_practitioner, "1234^SMITH^JOHN^Q^^DR^MD^^NPI^^^^NPI", ctx)
    practitioner = ctx.result.resources[0].resource
    assert reference == {
        "reference": f"Practitioner/{practitioner['id']}",
        "display": "JOHN Q SMITH",
    }
    assert practitioner["id"] == deterministic_id(
        "Practitioner", "http://hl7.org/fhir/sid/us-npi", "1234"
    )
    assert practitioner["name"] == [
        {"family": "SMITH", "given": ["JOHN", "Q"], "suffix": ["MD"], "prefix": ["DR"]}
    ]
    assert ctx.result.resources[0].action == "create-only"


def test_xcn_without_id_is_a_display_only_reference() -> None:
    ctx = MapContext(MappingConfig())
    assert convert(xcn_practitioner, "^SMITH^JOHN", ctx) == {"display": "JOHN SMITH"}
    assert ctx.result.resources == []


def test_xon_identifier_or_name_keys_the_organization() -> None:
    ctx = MapContext(MappingConfig())
    by_id = convert(xon_organization, "Good Hospital^L^^^^&2.16.840.1.9&ISO^XX^^^GH1", ctx)
    by_name = convert(xon_organization, "Good Hospital", ctx)
    assert (
        by_id["reference"]
        == f"Organization/{deterministic_id('Organization', 'urn:oid:2.16.840.1.9', 'GH1')}"
    )
    assert by_name["reference"] != by_id["reference"]
    assert [m.resource["name"] for m in ctx.result.resources] == ["Good Hospital", "Good Hospital"]

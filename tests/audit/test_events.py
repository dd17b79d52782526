"""The AuditEvent builder: valid R4 AuditEvents, indexed as the generic extractor would."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from server.audit.events import REST, SECURITY_ALERT, Access, EventBuilder, interaction_code
from server.fhir.validation import validate_resource
from server.search.extract import extract_index
from server.search.index_entries import IndexEntries
from server.storage.audit_rows import AuditEntries, audit_record
from server.storage.port import Write

BASES = ("http://fhir.example/fhir", "http://localhost:8080/fhir")
BUILDER = EventBuilder(BASES[0], BASES)


def access(**fields: object) -> Access:
    base = Access(
        recorded=1_780_000_000_123_456,
        type=REST,
        subtypes=(interaction_code("read"),),
        action="R",
        outcome="0",
    )
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


CASES = [
    pytest.param(access(), id="anonymous"),
    pytest.param(access(client="app-1", issuer="http://issuer", address="10.0.0.1"), id="client"),
    pytest.param(
        access(client="app-1", user="Practitioner/7", entities=("Appointment/9",)), id="user"
    ),
    pytest.param(
        access(user="http://elsewhere.example/Patient/3", patients=("3",)), id="external-user"
    ),
    pytest.param(access(user=f"{BASES[0]}/Patient/5", patients=("5",)), id="patient-user"),
    pytest.param(
        access(
            subtypes=(interaction_code("search-type"),),
            query="name=J%C3%B6rg&_count=5",
            patients=("1", "2"),
        ),
        id="search",
    ),
    pytest.param(
        access(entities=("Patient/1", "Claim/4"), patients=("1",), action="C"), id="write"
    ),
    pytest.param(
        access(type=SECURITY_ALERT, subtypes=(), outcome="4", description="unlisted"),
        id="security",
    ),
]


def normalized(entries: IndexEntries) -> dict[str, object]:
    return {
        "strings": sorted(map(repr, entries.strings)),
        "tokens": sorted(map(repr, entries.tokens)),
        "dates": sorted(map(repr, entries.dates)),
        "references": sorted(map(repr, entries.references)),
        "uris": sorted(map(repr, entries.uris)),
        "present": sorted(entries.present),
        "sort_keys": entries.sort_keys,
    }


@pytest.mark.parametrize("case", CASES)
def test_index_is_the_extractors(case: Access) -> None:
    write = BUILDER.write(case, "ev1")
    assert write.version.body is not None
    body = orjson.loads(write.version.body)
    assert write.index is not None

    assert normalized(write.index) == normalized(extract_index(body, base_urls=BASES))


@pytest.mark.parametrize("case", CASES)
def test_event_is_a_valid_audit_event(case: Access) -> None:
    write = BUILDER.write(case, "ev1")
    assert write.version.body is not None

    validate_resource(orjson.loads(write.version.body), "AuditEvent")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("request_id", [None, 'caller\'s "id" \\ \u00e9'])
def test_written_bytes_are_the_event_serialized(case: Access, request_id: str | None) -> None:
    builder = EventBuilder(BASES[0], BASES)
    case = dataclasses.replace(case, request_id=request_id)
    write = builder.write(dataclasses.replace(case), "ev1")

    assert write.version.body == orjson.dumps(builder.event(case, "ev1"))


@pytest.mark.parametrize("case", CASES)
def test_listed_links_are_those_the_stores_read_out_of_the_entries(case: Access) -> None:
    write = BUILDER.write(dataclasses.replace(case, request_id="r1"), "ev1")
    assert isinstance(write.index, AuditEntries)
    entries = write.index
    plain = IndexEntries(
        entries.strings, entries.tokens, entries.dates, entries.references, entries.uris
    )

    read_out = audit_record(Write(write.version, 0, plain))
    listed = audit_record(write)
    assert (listed.date, listed.links) == (read_out.date, read_out.links)


def test_events_of_one_kind_keep_their_own_entities_and_times() -> None:
    builder = EventBuilder(BASES[0], BASES)
    first = builder.write(access(client="app", patients=("1",), request_id="r1"), "ev1")
    second = builder.write(
        access(client="app", patients=("2",), recorded=1_780_000_000_999_999), "ev2"
    )

    assert second.version.body == orjson.dumps(
        builder.event(access(client="app", patients=("2",), recorded=1_780_000_000_999_999), "ev2")
    )
    assert first.index is not None
    assert second.index is not None
    assert normalized(second.index) == normalized(
        extract_index(orjson.loads(second.version.body or b"{}"), base_urls=BASES)
    )
    assert normalized(first.index) != normalized(second.index)

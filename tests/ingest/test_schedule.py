"""Message keys: what orders two messages against each other in a concurrent import."""

from __future__ import annotations

from mappers.result import Action, MappingResult
from server.hl7v2.ingest.model import Header, Prepared
from server.hl7v2.ingest.schedule import MessageKeys


def prepared(control_id: str, patient: str, merges: tuple[tuple[str, str], ...] = ()) -> Prepared:
    result = MappingResult()
    result.add({"resourceType": "Patient", "id": patient})
    result.merges.extend(merges)
    return Prepared(Header("APP|FAC", control_id, "ADT^A08", None, b""), result)


def test_a_message_about_a_retired_patient_is_ordered_with_its_survivor() -> None:
    keys = MessageKeys()
    before = keys(prepared("1", "pat-old"))
    keys(prepared("2", "pat-new", merges=(("pat-new", "pat-old"),)))

    later_about_old = keys(prepared("3", "pat-old"))
    later_about_new = keys(prepared("4", "pat-new"))

    assert ("Patient", "pat-new") not in before
    assert ("Patient", "pat-new") in later_about_old
    assert later_about_old & later_about_new == {("Patient", "pat-new")}


def test_chained_merges_reach_the_last_survivor_and_cycles_end() -> None:
    keys = MessageKeys()
    keys(prepared("1", "b", merges=(("b", "a"),)))
    keys(prepared("2", "c", merges=(("c", "b"),)))
    keys(prepared("3", "a", merges=(("a", "c"),)))  # a bad archive can merge in a circle

    assert {("Patient", "b"), ("Patient", "c")} <= keys(prepared("4", "a"))


def test_a_create_only_patient_is_keyed_but_directory_entries_are_not() -> None:
    result = MappingResult()
    result.add({"resourceType": "Patient", "id": "pat-1"}, Action.CREATE_ONLY)
    result.add({"resourceType": "Organization", "id": "org-payer"}, Action.CREATE_ONLY)
    result.add({"resourceType": "Appointment", "id": "appt-1"})
    header = Header("APP|FAC", "9", "SIU^S12", None, b"")

    keys = MessageKeys()(Prepared(header, result))

    assert keys == {("ledger", "APP|FAC", "9"), ("Patient", "pat-1"), ("Appointment", "appt-1")}

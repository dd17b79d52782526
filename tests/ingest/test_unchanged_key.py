"""The key of the memo of unchanged resources (unchanged.SameAsStored.key): a report's
feeds enter it by content, whichever object holds them, and a long content's digest is
the same hashed in pieces."""

from __future__ import annotations

import hashlib
import pickle

from mappers.fields import Feed, FieldReport, FieldState
from server.hl7v2.ingest.unchanged import SameAsStored, _digest

FEEDS = {"telecom": Feed(("telecom",), ("PID-13", "PID-14"), many=True)}
PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Doe"}]}


def _report(feeds: dict[str, Feed]) -> FieldReport:
    return FieldReport(feeds, states={"PID-13": FieldState.PRESENT}, owners={"telecom": []})


def test_feeds_unpickled_apart_give_the_same_key() -> None:
    memo = SameAsStored()
    first, second = pickle.loads(pickle.dumps(FEEDS)), pickle.loads(pickle.dumps(FEEDS))
    assert first is not second

    key = memo.key("Patient", "p1", 1, False, PATIENT, _report(first))

    assert memo.key("Patient", "p1", 1, False, PATIENT, _report(second)) == key
    assert SameAsStored().key("Patient", "p1", 1, False, PATIENT, _report(FEEDS)) == key


def test_other_feeds_or_states_give_another_key() -> None:
    memo = SameAsStored()
    key = memo.key("Patient", "p1", 1, False, PATIENT, _report(FEEDS))
    other = {"telecom": Feed(("telecom",), ("PID-13",), many=True)}
    nulled = _report(FEEDS)
    nulled.states["PID-13"] = FieldState.NULL

    assert memo.key("Patient", "p1", 1, False, PATIENT, _report(other)) != key
    assert memo.key("Patient", "p1", 1, False, PATIENT, nulled) != key
    assert memo.key("Patient", "p1", 1, False, PATIENT, None) != key
    assert memo.key("Patient", "p1", 2, False, PATIENT, _report(FEEDS)) != key


def test_a_long_content_hashed_in_pieces_has_its_whole_digest() -> None:
    for size in (0, 1, 2_046, 2_047, 2_048, 5_000, 100_000):
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        assert _digest(data) == hashlib.blake2b(data, digest_size=16).digest()

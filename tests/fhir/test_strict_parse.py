"""The strict JSON parser: repeated keys and C0 control characters, each found where it is."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import InvalidRequest
from server.fhir.strict_parse import parse_json


def findings(raw: bytes) -> list[tuple[str, tuple[str, ...]]]:
    with pytest.raises(InvalidRequest) as caught:
        parse_json(raw)
    return [(issue.code, issue.expression) for issue in caught.value.issues]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            b'{"resourceType":"Patient","gender":"male","gender":"female"}',
            [("structure", ("Patient.gender",))],
            id="top-level",
        ),
        pytest.param(
            b'{"resourceType":"Patient","name":[{"family":"a"},{"given":[],"given":[]}]}',
            [("structure", ("Patient.name[1].given",))],
            id="nested",
        ),
        pytest.param(
            b'{"resourceType":"Patient","a":1,"a":2,"b":{"c":1,"c":1}}',
            [("structure", ("Patient.a",)), ("structure", ("Patient.b.c",))],
            id="every-duplicate",
        ),
        pytest.param(
            b'[{"op":"add","op":"remove"}]', [("structure", ("[0].op",))], id="not-a-resource"
        ),
        pytest.param(
            b'{"a":{"b":1,"b":2}}', [("structure", ("a.b",))], id="object-without-resource-type"
        ),
        pytest.param(
            b'{"resourceType":"Patient","text":"\\u0022\\u0022","x":1,"x":1}',
            [("structure", ("Patient.x",))],
            id="quote-as-unicode-escape",
        ),
        pytest.param(
            b'{"resourceType":"Patient","name":[{"family":"\\u0000"}]}',
            [("value", ("Patient.name[0].family",))],
            id="nul",
        ),
        pytest.param(
            b'{"resourceType":"Patient","name":[{"given":["\\b","ok","\\f"]}]}',
            [("value", ("Patient.name[0].given[0]",)), ("value", ("Patient.name[0].given[2]",))],
            id="short-escapes",
        ),
        pytest.param(
            b'{"resourceType":"Patient","ex\\u001ftra":1}',
            [("value", ("Patient",))],
            id="in-a-key",
        ),
        pytest.param(
            b'{"resourceType":"Pa\\u0000tient","gender":"x"}',
            [("value", ("resourceType",))],
            id="in-the-resource-type",
        ),
    ],
)
def test_findings_name_where_they_are(
    raw: bytes, expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    assert findings(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"text":"tab\\t cr\\r lf\\n"}', id="tab-cr-lf"),
        pytest.param(b'{"text":"\\\\b \\\\f \\\\u0000 \\\\u0022"}', id="escaped-backslashes"),
        pytest.param(
            b'{"div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">a</div>"}', id="quotes"
        ),
        pytest.param(b'{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":1}]}', id="same-key-elsewhere"),
        pytest.param('{"text":"\u00e9\u2028\U0001f600"}'.encode(), id="non-ascii"),
        pytest.param(b'{"text":"\\u007f"}', id="delete-is-not-c0"),
    ],
)
def test_valid_documents_are_returned_as_parsed(raw: bytes) -> None:
    assert parse_json(raw) == json.loads(raw)


def test_a_syntax_error_says_where() -> None:
    with pytest.raises(InvalidRequest, match="position"):
        parse_json(b'{"a":}')


# Property: the parser refuses a document exactly when a duplicate-aware reference parse
# finds a duplicate key or a control character, whichever way the text is escaped.
_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_text = st.text(st.sampled_from(['"', "\\", "a", ":", "\x00", "\x1f", "\t", "\n", "é", "u"]))
_keys = st.sampled_from(["a", "b", 'q"', "\\", "\x01"])
_values: st.SearchStrategy[Any] = st.recursive(
    # orjson reads integers past 64 bits as floats, which no FHIR integer reaches; this
    # test is about keys and strings, so numbers stay where both parsers agree.
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | _text,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(st.tuples(_keys, inner), max_size=4).map(lambda pairs: ("object", pairs))
    ),
    max_leaves=12,
)


def _encode_string(text: str, data: st.DataObject) -> str:
    out = []
    for char in text:
        if char == '"':
            out.append(data.draw(st.sampled_from(['\\"', "\\u0022"])))
        elif char == "\\":
            out.append(data.draw(st.sampled_from(["\\\\", "\\u005c"])))
        elif ord(char) < 0x20:
            out.append(data.draw(st.sampled_from([f"\\u{ord(char):04x}", json.dumps(char)[1:-1]])))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _encode(value: Any, data: st.DataObject) -> str:
    space = data.draw(st.sampled_from(["", " ", "\n  "]))
    if isinstance(value, tuple):
        members = [
            f"{_encode_string(k, data)}{space}:{space}{_encode(v, data)}" for k, v in value[1]
        ]
        return "{" + space + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_encode(item, data) for item in value) + space + "]"
    if isinstance(value, str):
        return _encode_string(value, data)
    return json.dumps(value)


def _reference_is_bad(text: str) -> bool:
    bad = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal bad
        keys = [k for k, _ in pairs]
        bad = bad or len(set(keys)) != len(keys) or any(_C0.search(k) for k in keys)
        return dict(pairs)

    def strings(value: Any) -> bool:
        if isinstance(value, str):
            return _C0.search(value) is not None
        if isinstance(value, dict):
            return any(strings(v) for v in value.values())
        if isinstance(value, list):
            return any(strings(v) for v in value)
        return False

    document = json.loads(text, object_pairs_hook=pairs_hook)
    return bad or strings(document)


@settings(max_examples=400, deadline=None)
@given(value=_values, data=st.data())
def test_refuses_exactly_what_a_duplicate_aware_parse_finds(
    value: Any, data: st.DataObject
) -> None:
    text = _encode(value, data)

    if _reference_is_bad(text):
        with pytest.raises(InvalidRequest):
            parse_json(text.encode())
    else:
        assert parse_json(text.encode()) == json.loads(text)

"""Escape sequences: decoding each kind, encoding, and a round trip through parse()."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hl7.encoding import DEFAULT, Encoding, encoding_from_msh
from hl7.er7 import parse
from hl7.escapes import escape, unescape


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        pytest.param(r"a\F\b", "a|b", id="field"),
        pytest.param(r"a\S\b", "a^b", id="component"),
        pytest.param(r"a\T\b", "a&b", id="subcomponent"),
        pytest.param(r"a\R\b", "a~b", id="repetition"),
        pytest.param(r"a\E\b", "a\\b", id="escape"),
        pytest.param(r"\E\F\F\ ", "\\F| ", id="escaped-escape-then-letter"),
        pytest.param(r"\X48656C6C6F\ ", "Hello ", id="hex"),
        pytest.param(r"\X0D0A\ ", "\n ", id="hex-crlf"),
        pytest.param(r"\X0d\ ", "\n ", id="hex-cr-lowercase"),
        pytest.param(r"\XC3A9\ ", "é ", id="hex-utf8"),
        pytest.param(r"\XE9\ ", "é ", id="hex-latin1"),
        pytest.param(r"\X4\ ", r"\X4\ ", id="hex-odd-kept"),
        pytest.param(r"\XZZ\ ", r"\XZZ\ ", id="hex-invalid-kept"),
        pytest.param(r"\H\bold\N\ ", "bold ", id="highlight"),
        pytest.param(r"a\.br\b", "a\nb", id="br"),
        pytest.param(r"a\.sp\b", "a\nb", id="sp"),
        pytest.param(r"a\.sp3\b", "a\n\n\nb", id="sp-count"),
        pytest.param(r"a\.sk2\b", "a  b", id="sk"),
        pytest.param(r"a\.in+4\b", "ab", id="indent-dropped"),
        pytest.param(r"a\.ti-2\b", "ab", id="temporary-indent-dropped"),
        pytest.param(r"a\.fi\b\.nf\c", "abc", id="fill-dropped"),
        pytest.param(r"a\.ce\b", "a\nb", id="center-breaks"),
        pytest.param(r"\C2842\abc\M2442\ ", "abc ", id="charset-switches-dropped"),
        pytest.param(r"a\Zlocal\b", r"a\Zlocal\b", id="local-kept"),
        pytest.param(r"C:\dir\F\x", "C:\\dir|x", id="unknown-then-known"),
        pytest.param("unterminated \\", "unterminated \\", id="unterminated"),
        pytest.param(r"\\", r"\\", id="empty-sequence"),
        pytest.param(r"\P\ ", r"\P\ ", id="truncation-unknown-before-2.7"),
    ],
)
def test_unescape(text: str, decoded: str) -> None:
    assert unescape(text, DEFAULT) == decoded


def test_truncation_escape_decodes_when_msh2_declares_it() -> None:
    assert unescape(r"a\P\b", encoding_from_msh("|", "^~\\&#")) == "a#b"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        pytest.param("a|b^c&d~e\\f", r"a\F\b\S\c\T\d\R\e\E\f", id="delimiters"),
        pytest.param("one\r\ntwo\rthree\nfour", r"one\.br\two\.br\three\.br\four", id="breaks"),
        pytest.param("\x0bframe\x1c", r"\X0B\frame\X1C\ ".strip(), id="mllp-bytes"),
        pytest.param("tab\tkept é", "tab\tkept é", id="tab-and-unicode"),
    ],
)
def test_escape(text: str, escaped: str) -> None:
    assert escape(text, DEFAULT) == escaped


_DELIMITER_CHOICES = "|^~\\&#!$%*@?+"
_LEAF = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(_DELIMITER_CHOICES + '\n\r\t\x00\x0b\x1c ".')),
        st.characters(codec="utf-8"),  # any character UTF-8 can carry
    ),
    max_size=12,
)
_FIELD = st.lists(
    st.lists(st.lists(_LEAF, min_size=1, max_size=3), min_size=1, max_size=3),
    min_size=1,
    max_size=3,
)


@st.composite
def _encodings(draw: st.DrawFn) -> Encoding:
    chars = draw(st.permutations(list(_DELIMITER_CHOICES)))[:5]
    return encoding_from_msh(chars[0], "".join(chars[1:]))


def _normalized(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=300, deadline=None)
@given(encoding=_encodings(), fields=st.lists(_FIELD, min_size=1, max_size=6))
def test_values_round_trip_through_escape_and_parse(
    encoding: Encoding, fields: list[list[list[list[str]]]]
) -> None:
    f = encoding.field

    def encode_field(field: list[list[list[str]]]) -> str:
        return encoding.repetition.join(
            encoding.component.join(
                encoding.subcomponent.join(escape(leaf, encoding) for leaf in component)
                for component in repetition
            )
            for repetition in field
        )

    encoded = [encode_field(field) for field in fields]
    event = f"ADT{encoding.component}A04"
    msh = f.join(
        ["MSH", encoding.msh2, "APP", "FAC", "", "", "20240101", "", event, "1", "P", "2.5"]
    )
    message = parse("\r".join([msh, "ZRT" + f + f.join(encoded)]))

    segment = message.segments[1]
    assert len(message.segments) == 2
    assert segment.name == "ZRT"
    for number, (field, text) in enumerate(zip(fields, encoded, strict=True), start=1):
        expected = [[[_normalized(leaf) for leaf in c] for c in r] for r in field] if text else []
        assert segment.reps(number) == expected
        assert segment.get(number) == (_normalized(field[0][0][0]) if text else "")
        last = field[-1][-1]
        assert segment.get(number, len(field[-1]), len(last), len(field)) == (
            _normalized(last[-1]) if text else ""
        )

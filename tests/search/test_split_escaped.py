"""Search values split on a separator except where escaped (values.split_escaped): a
value with no backslash splits as ``str.split`` does, empty parts included."""

from __future__ import annotations

import pytest

from server.search.values import split_escaped


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("", [""]),
        ("a", ["a"]),
        ("a,b", ["a", "b"]),
        (",a,,b,", ["", "a", "", "b", ""]),
        ("Patient/1,Practitioner/2", ["Patient/1", "Practitioner/2"]),
        (r"a\,b,c", ["a,b", "c"]),
        ("a\\", ["a\\"]),
    ],
)
def test_split(value: str, parts: list[str]) -> None:
    assert split_escaped(value, ",") == parts


def test_escapes_kept_but_the_separators() -> None:
    assert split_escaped(r"http://x\|y|1\,2,3", ",", keep_escapes=True) == [
        r"http://x\|y|1,2",
        "3",
    ]

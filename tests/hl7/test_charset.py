"""Bytes to text: MSH-18 when it names a charset, else UTF-8, else Latin-1."""

from __future__ import annotations

import pytest

from hl7.charset import codec_for, declared_charset, decode_bytes


def msh(charset: str = "") -> bytes:
    head = b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5"
    return head + (b"||||||" + charset.encode() if charset else b"")


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        pytest.param(msh("8859/1") + b"\rPID|1", "8859/1", id="cr"),
        pytest.param(msh("UNICODE UTF-8~8859/1") + b"\nPID|1", "UNICODE UTF-8", id="repeated"),
        pytest.param(msh(), "", id="absent"),
        pytest.param(b"PID|1", "", id="no-msh"),
        pytest.param(b"MSH", "", id="short"),
        pytest.param(b"MSH\rMSH|^~\\&|", "", id="bare-msh-line"),
    ],
)
def test_declared_charset(data: bytes, charset: str) -> None:
    assert declared_charset(data) == charset


@pytest.mark.parametrize(
    ("data", "text"),
    [
        pytest.param(msh() + "\rPID|Zoë".encode(), "Zoë", id="utf8-undeclared"),
        pytest.param(msh() + "\rPID|Zoë".encode("latin-1"), "Zoë", id="latin1-fallback"),
        pytest.param(msh("8859/1") + "\rPID|Ã©".encode("latin-1"), "Ã©", id="declared-wins"),
        pytest.param(msh("ASCII") + "\rPID|é".encode(), "é", id="declared-but-wrong"),
        pytest.param(msh("8859/7") + "\rPID|Ω".encode("iso8859-7"), "Ω", id="greek"),
        pytest.param(msh("NOT A CHARSET") + "\rPID|é".encode(), "é", id="unknown-name"),
        pytest.param(b"\xef\xbb\xbf" + msh() + b"\rPID|x", "x", id="bom"),
    ],
)
def test_decode_bytes(data: bytes, text: str) -> None:
    decoded = decode_bytes(data)

    assert decoded.startswith("MSH|")
    assert decoded.endswith(text)


def test_codec_names_are_case_and_space_tolerant() -> None:
    assert codec_for(" unicode utf-8 ") == "utf-8"
    assert codec_for("8859/15") == "iso8859-15"
    assert codec_for("UNICODE") is None

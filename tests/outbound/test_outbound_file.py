"""``fhirport serve --hl7-outbound FILE``: a bad file stops the server with one line, status 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.hl7v2.outbound.config import load_outbound

GOOD = """
sender: {application: FHIRPORT, facility: MAIN}
destinations:
  - name: legacy-adt
    host: 127.0.0.1
    port: 2575
    application: LEGACYADT
    facility: NORTH
    messages: [ADT^A04, adt^a08, SIU^S12]
"""


def test_a_good_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "outbound.yaml"
    path.write_text(GOOD)

    feed = load_outbound(path)

    assert (feed.application, feed.facility) == ("FHIRPORT", "MAIN")
    [destination] = feed.destinations
    assert destination.identity == "LEGACYADT|NORTH"
    assert destination.messages == {"ADT^A04", "ADT^A08", "SIU^S12"}
    assert destination.tls is None


@pytest.mark.parametrize(
    ("content", "says"),
    [
        pytest.param(GOOD.replace("SIU^S12", "ORU^R01"), "ORU^R01", id="unknown-type"),
        pytest.param(GOOD.replace("port: 2575", "port: 99999"), "port", id="bad-port"),
        pytest.param(GOOD.replace("    host: 127.0.0.1\n", ""), "host", id="no-host"),
        pytest.param("destinations: [", "cannot read", id="not-yaml"),
        pytest.param(GOOD + "    colour: red\n", "colour", id="unknown-key"),
        pytest.param(
            GOOD + "    tls: {ca: /nowhere/ca.pem}\n", "destinations.0.tls", id="missing-ca"
        ),
        pytest.param(GOOD + GOOD.split("destinations:\n")[1], "names must differ", id="same-name"),
    ],
)
def test_a_bad_file_stops_the_server_with_one_line(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "outbound.yaml"
    path.write_text(content)

    result = CliRunner().invoke(
        main, ["serve", "--store", "memory://", "--hl7-outbound", str(path)]
    )

    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_the_file_can_come_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "outbound.json"
    path.write_text('{"destinations": []}')

    result = CliRunner().invoke(
        main, ["serve", "--store", "memory://"], env={"FHIRPORT_HL7_OUTBOUND": str(path)}
    )

    assert result.exit_code == 2, result.output
    assert "destinations" in result.output

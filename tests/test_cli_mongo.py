"""``fhirport mongo shard-plan`` and ``fhirport serve`` on an unreachable MongoDB."""

from __future__ import annotations

from click.testing import CliRunner

from server.cli import main


def test_shard_plan_prints_one_command_per_sharded_collection() -> None:
    result = CliRunner().invoke(
        main, ["mongo", "shard-plan", "--store", "mongodb://h:27017/records?replicaSet=rs0"]
    )

    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("sh.")]
    assert lines == [
        'sh.shardCollection("records.resources", {"_id": "hashed"})',
        'sh.shardCollection("records.history", {"type": 1, "id": 1})',
        'sh.shardCollection("records.hl7_ledger", {"_id": "hashed"})',
        'sh.shardCollection("records.guards", {"_id": "hashed"})',
    ]


def test_serve_on_an_unreachable_mongodb_says_so_in_one_line() -> None:
    store = "mongodb://db.invalid:27017/fhirport?serverSelectionTimeoutMS=300&timeoutMS=500"

    result = CliRunner().invoke(main, ["serve", "--store", store, "--no-seed"])

    assert result.exit_code not in (0, None)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Cannot reach MongoDB at db.invalid:27017" in lines[0]

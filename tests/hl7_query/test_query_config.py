"""The HL7 v2 query configuration: its JSON file, its defaults, and what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from server.consent import Coding, Effect
from server.hl7v2.query.config import (
    CONFIG_ENV,
    QueryConfig,
    QueryConfigError,
    load_query_config,
    query_config,
    query_config_from_env,
)


def test_the_file_named_in_the_environment_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "queries.json"
    path.write_bytes(
        orjson.dumps(
            {
                "senders": {
                    "MERCY": {"reference": "Organization/org-mercy", "purpose": "TREAT"},
                    "CLAIMS|UNITY": {
                        "identifier": {"system": "urn:oid:1.2.3", "value": "UNITY"},
                        "purpose": "HPAYMT",
                    },
                },
                "consent_default": "permit",
                "max_candidates": 20,
                "authority_systems": {"HOSP": "urn:oid:1.2.3.4"},
            }
        )
    )

    config = query_config_from_env({CONFIG_ENV: str(path)})

    assert config.sender("EHR", "MERCY") is not None
    payer = config.sender("CLAIMS", "UNITY")
    assert payer is not None
    assert payer.identifier == Coding("urn:oid:1.2.3", "UNITY")
    assert config.sender("BILLING", "UNITY") is None
    assert config.policy.default is Effect.PERMIT
    assert config.max_candidates == 20
    assert config.mapping.identifier_system("HOSP") == "urn:oid:1.2.3.4"


def test_without_a_file_nobody_may_query() -> None:
    config = query_config_from_env({})

    assert config == QueryConfig()
    assert config.sender("EHR", "MERCY") is None
    assert config.policy.default is Effect.DENY


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"senders": []}, "senders", id="senders-not-object"),
        pytest.param(
            {"senders": {"X": {"reference": "Organization/x"}}}, "purpose", id="no-purpose"
        ),
        pytest.param(
            {"senders": {"X": {"purpose": "TREAT"}}}, "reference or an identifier", id="no-actor"
        ),
        pytest.param({"consent_default": "maybe"}, "consent_default", id="bad-default"),
        pytest.param({"max_candidates": 0}, "max_candidates", id="bad-limit"),
        pytest.param({"default_sender": {"purpose": 1}}, "default_sender", id="bad-default-sender"),
    ],
)
def test_an_unusable_configuration_names_what_is_wrong(data: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryConfigError, match=message):
        query_config(data)


def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")

    with pytest.raises(QueryConfigError, match="Cannot read"):
        load_query_config(tmp_path / "bad.json")
    with pytest.raises(QueryConfigError, match="Cannot read"):
        load_query_config(tmp_path / "missing.json")

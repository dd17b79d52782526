"""Reaching MongoDB: the database in the URL, the client's options, standalone refusal.

No server runs here: the URLs are parsed as PyMongo parses them, and the refusal is
decided from recorded ``hello`` answers of the three kinds of deployment.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient, ReadPreference
from pymongo.errors import (
    ExecutionTimeout,
    NetworkTimeout,
    NotPrimaryError,
    PyMongoError,
    ServerSelectionTimeoutError,
    WTimeoutError,
)
from pymongo.uri_parser import parse_uri

from server.storage.mongo.client import connect, primary_database, require_transactions
from server.storage.mongo.errors import driver_errors
from server.storage.mongo.uri import client_options, database_name, with_database
from server.storage.port import StoreUnavailable

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        pytest.param(
            "mongodb://localhost:27017/?replicaSet=rs0",
            "mongodb://localhost:27017/t1?replicaSet=rs0",
            id="query-kept-after-the-path",
        ),
        pytest.param("mongodb://localhost:27017", "mongodb://localhost:27017/t1", id="no-path"),
        pytest.param("mongodb://localhost:27017/", "mongodb://localhost:27017/t1", id="empty-path"),
        pytest.param(
            "mongodb://u:p@a:1,b:2/fhirport?replicaSet=rs0&authSource=admin",
            "mongodb://u:p@a:1,b:2/t1?replicaSet=rs0&authSource=admin",
            id="database-replaced",
        ),
        pytest.param(
            "mongodb+srv://cluster.example.net/?retryWrites=true",
            "mongodb+srv://cluster.example.net/t1?retryWrites=true",
            id="srv",
        ),
    ],
)
def test_the_database_goes_into_the_path_before_the_query(base: str, expected: str) -> None:
    built = with_database(base, "t1")

    assert built == expected
    if not built.startswith("mongodb+srv"):  # parsing an SRV URL would look it up in DNS
        parsed = parse_uri(built)
        assert parsed["database"] == "t1"
        assert parsed["options"].get("replicaset") == parse_uri(base)["options"].get("replicaset")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("mongodb://h/records?replicaSet=rs0", "records"),
        ("mongodb://h/?replicaSet=rs0", "fhirport"),
        ("mongodb://h", "fhirport"),
    ],
)
def test_the_database_name_defaults_to_fhirport(url: str, name: str) -> None:
    assert database_name(url) == name


def test_timeouts_have_defaults_that_the_url_overrides() -> None:
    defaults = client_options("mongodb://h/db?replicaSet=rs0")
    chosen = client_options(
        "mongodb://h/db?replicaSet=rs0&timeoutMS=500&serverselectiontimeoutms=90"
    )

    assert defaults["timeoutMS"] > 0
    assert defaults["serverSelectionTimeoutMS"] > 0
    assert "timeoutMS" not in chosen  # the URL's value stands
    assert "serverSelectionTimeoutMS" not in chosen
    assert defaults["w"] == chosen["w"] == "majority"


# Recorded hello answers (trimmed to what the decision reads), MongoDB 7.0.
STANDALONE: dict[str, Any] = {
    "isWritablePrimary": True,
    "maxBsonObjectSize": 16777216,
    "maxWireVersion": 21,
    "ok": 1.0,
}
REPLICA_SET_PRIMARY: dict[str, Any] = {
    "topologyVersion": {"counter": 6},
    "hosts": ["localhost:27017"],
    "setName": "rs0",
    "setVersion": 1,
    "isWritablePrimary": True,
    "secondary": False,
    "primary": "localhost:27017",
    "me": "localhost:27017",
    "maxBsonObjectSize": 16777216,
    "logicalSessionTimeoutMinutes": 30,
    "maxWireVersion": 21,
    "ok": 1.0,
}
MONGOS: dict[str, Any] = {
    "isWritablePrimary": True,
    "msg": "isdbgrid",
    "maxBsonObjectSize": 16777216,
    "logicalSessionTimeoutMinutes": 30,
    "maxWireVersion": 21,
    "ok": 1.0,
}


def test_a_standalone_server_is_refused_naming_the_fix() -> None:
    with pytest.raises(StoreUnavailable) as refused:
        require_transactions(STANDALONE, "localhost:27017")

    message = str(refused.value)
    assert "standalone" in message
    assert "one-member replica set" in message
    assert "--replSet" in message
    assert "rs.initiate" in message


def test_a_replica_set_not_yet_initiated_is_refused_naming_rs_initiate() -> None:
    hello = {"isWritablePrimary": False, "secondary": False, "isreplicaset": True, "ok": 1.0}

    with pytest.raises(StoreUnavailable, match="has not been initiated"):
        require_transactions(hello, "localhost:27017")


@pytest.mark.parametrize("hello", [REPLICA_SET_PRIMARY, MONGOS], ids=["replica-set", "mongos"])
def test_a_replica_set_or_a_router_is_accepted(hello: dict[str, Any]) -> None:
    require_transactions(hello, "localhost:27017")


async def test_an_unreachable_server_is_reported_in_one_sentence() -> None:
    with pytest.raises(StoreUnavailable) as failed:
        await connect("mongodb://db.invalid:27017/?serverSelectionTimeoutMS=300&timeoutMS=500")

    assert "Cannot reach MongoDB" in str(failed.value)
    assert "db.invalid:27017" in str(failed.value)


async def test_reads_go_to_the_primary_whatever_the_url_says() -> None:
    url = "mongodb://h1,h2/records?replicaSet=rs0&readPreference=secondary"
    client: AsyncMongoClient[Any] = AsyncMongoClient(url)  # connects on first use only
    try:
        database = primary_database(client, url)

        assert client.read_preference.mode == ReadPreference.SECONDARY.mode
        assert database.read_preference == ReadPreference.PRIMARY
        assert database.name == "records"
    finally:
        await client.close()


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ServerSelectionTimeoutError("no primary"), id="no-server"),
        pytest.param(NotPrimaryError("not primary"), id="failing-over"),
        pytest.param(NetworkTimeout("timed out"), id="network-timeout"),
        pytest.param(ExecutionTimeout("operation exceeded time limit"), id="timeoutMS"),
        pytest.param(WTimeoutError("waiting for replication timed out"), id="majority-down"),
    ],
)
async def test_driver_errors_become_store_unavailable(error: PyMongoError) -> None:
    with pytest.raises(StoreUnavailable) as raised:
        async with driver_errors("write"):
            raise error

    assert str(raised.value) == f"MongoDB could not write: {type(error).__name__}"

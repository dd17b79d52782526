"""The HL7v2 sender allowlist on the MLLP listener the app runs: who may send what, from where."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from click.testing import CliRunner
from fastapi import FastAPI

from hl7.batch import split_messages
from hl7.er7 import parse
from hl7.mllp import Peer
from hl7.mllp_client import send_messages
from hl7.tls import client_context
from server.app import create_app
from server.cli import main
from server.hl7v2.listener import IngestRuntime
from server.hl7v2.senders import MllpExposed, SenderAllowlist, SendersFileError, load_senders
from server.search.engine import SearchEngine
from server.settings import Settings
from server.storage.factory import store_from_url
from tests.hl7.certificates import Authority
from tests.hl7.conftest import REPO
from tests.ingest.messages import adt

pytestmark = pytest.mark.anyio

HOST = "127.0.0.1"
ALLOWLIST: dict[str, Any] = {
    "senders": [
        {"application": "LEGACY", "facility": "NORTH", "messages": ["ADT^A04", "ADT^A08"]},
        {"application": "SCHED", "facility": "NORTH", "messages": ["SIU^*"]},
        {
            "application": "REMOTE",
            "facility": "EAST",
            "networks": ["10.20.0.0/16"],
            "messages": ["ADT^*"],
        },
    ]
}


def message(sender: str, control_id: str, message_type: str = "ADT^A04") -> bytes:
    """``adt`` with another MSH-3|MSH-4 and MSH-9."""
    app, facility = sender.split("|")
    return (
        adt(control_id)
        .replace(b"LEGACY|NORTH", f"{app}|{facility}".encode())
        .replace(b"ADT^A04^ADT_A01", message_type.encode())
    )


def write_allowlist(folder: Path, content: dict[str, Any], suffix: str = ".yaml") -> Path:
    path = folder / f"senders{suffix}"
    text = yaml.safe_dump(content) if suffix == ".yaml" else orjson.dumps(content).decode()
    path.write_text(text, encoding="utf-8")
    return path


def msa(answer: bytes) -> tuple[str, str]:
    segment = parse(answer).segment("MSA")
    assert segment is not None
    return segment.get(1), segment.get(2)


def err_text(answer: bytes) -> str:
    segment = parse(answer).segment("ERR")
    assert segment is not None, answer
    return segment.get(8)


Running = Callable[..., AbstractAsyncContextManager[FastAPI]]


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    # A file store, so what was recorded can be read back after the app has stopped.
    return f"sqlite:///{tmp_path / 'senders.sqlite3'}"


@pytest.fixture
def running(store_url: str) -> Running:
    @asynccontextmanager
    async def run(**settings: Any) -> AsyncIterator[FastAPI]:
        options = {"store": store_url, "host": HOST, "mllp_port": 0, "audit": "all", **settings}
        app = create_app(Settings(**options))
        async with app.router.lifespan_context(app):
            yield app

    return run


def mllp_port(app: FastAPI) -> int:
    runtime: IngestRuntime = app.state.hl7
    assert runtime.mllp is not None
    return runtime.mllp.port


async def exchange(
    app: FastAPI, *messages: bytes, context: ssl.SSLContext | None = None
) -> list[bytes]:
    async with asyncio.timeout(10):
        return await send_messages(HOST, mllp_port(app), messages, ssl=context)


async def stored(store_url: str, resource_type: str) -> list[dict[str, Any]]:
    """Every current resource of one type, read after the app has stopped."""
    store = store_from_url(store_url)
    await store.open()
    try:
        engine = SearchEngine(store, ("http://127.0.0.1:8080/fhir",))
        result = await engine.run(engine.parse(resource_type, [("_count", "100")], lenient=False))
        return [orjson.loads(v.body) for v in result.page.versions if v.body is not None]
    finally:
        await store.close()


def security_alerts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"]["code"] == "110113"]


async def test_an_unlisted_sender_is_refused_and_nothing_is_applied(
    running: Running, store_url: str, tmp_path: Path
) -> None:
    async with running(hl7_senders=write_allowlist(tmp_path, ALLOWLIST)) as app:
        (answer,) = await exchange(app, message("ROGUE|NOWHERE", "R1"))
        ledger = await app.state.store.ledger_get("ROGUE|NOWHERE", "R1")

    assert msa(answer) == ("AR", "R1")
    assert "ROGUE|NOWHERE" in err_text(answer)
    assert "not allowed" in err_text(answer)
    assert ledger is None
    assert await stored(store_url, "Patient") == []
    (alert,) = security_alerts(await stored(store_url, "AuditEvent"))
    assert alert["outcome"] == "4"
    assert "ROGUE|NOWHERE" in orjson.dumps(alert).decode()


async def test_a_listed_sender_may_send_only_its_message_types(
    running: Running, store_url: str, tmp_path: Path
) -> None:
    async with running(hl7_senders=write_allowlist(tmp_path, ALLOWLIST)) as app:
        answers = await exchange(
            app,
            message("LEGACY|NORTH", "L1", "ADT^A01^ADT_A01"),
            message("LEGACY|NORTH", "L2", "ADT^A04^ADT_A01"),
            message("SCHED|NORTH", "S1", "ADT^A04^ADT_A01"),
        )
        refused = await app.state.store.ledger_get("LEGACY|NORTH", "L1")

    assert [msa(a) for a in answers] == [("AR", "L1"), ("AA", "L2"), ("AR", "S1")]
    assert "ADT^A01" in err_text(answers[0])
    assert "SCHED|NORTH" in err_text(answers[2])
    assert refused is None
    assert len(await stored(store_url, "Patient")) == 1
    assert len(security_alerts(await stored(store_url, "AuditEvent"))) == 2


async def test_a_sender_bound_to_a_network_is_refused_from_elsewhere(
    running: Running, tmp_path: Path
) -> None:
    async with running(hl7_senders=write_allowlist(tmp_path, ALLOWLIST, ".json")) as app:
        (answer,) = await exchange(app, message("REMOTE|EAST", "N1"))

    assert msa(answer) == ("AR", "N1")
    assert HOST in err_text(answer)


async def test_an_unreadable_message_is_refused_without_a_ledger_entry(
    running: Running, tmp_path: Path
) -> None:
    async with running(hl7_senders=write_allowlist(tmp_path, ALLOWLIST)) as app:
        (answer,) = await exchange(app, b"this is no HL7 at all")
        ledger = await app.state.store.ledger_get("unknown|unknown", "")

    assert msa(answer)[0] == "AR"
    assert ledger is None


async def test_certificate_subjects_bind_a_sender_to_its_tls_client(
    running: Running, store_url: str, tmp_path: Path
) -> None:
    ca = Authority(tmp_path, "hospital")
    server = ca.issue("mllp.hospital.test", server=True)
    lab = ca.issue("lab-gateway", organization="North Lab")
    other = ca.issue("other-gateway", organization="North Lab")
    allowlist = {
        "senders": [
            {
                "application": "LEGACY",
                "facility": "NORTH",
                "certificate_subjects": ["CN=lab-gateway, O=North Lab"],
                "messages": ["ADT^*"],
            }
        ]
    }
    tls = {
        "mllp_tls_cert": server.cert,
        "mllp_tls_key": server.key,
        "mllp_tls_client_ca": ca.cert,
        "hl7_senders": write_allowlist(tmp_path, allowlist),
    }
    async with running(**tls) as app:
        (allowed,) = await exchange(
            app, message("LEGACY|NORTH", "T1"), context=client_context(ca.cert, lab.cert, lab.key)
        )
        (refused,) = await exchange(
            app,
            message("LEGACY|NORTH", "T2"),
            context=client_context(ca.cert, other.cert, other.key),
        )
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await exchange(app, message("LEGACY|NORTH", "T3"), context=client_context(ca.cert))

    assert msa(allowed) == ("AA", "T1")
    assert msa(refused) == ("AR", "T2")
    assert "CN=other-gateway,O=North Lab" in err_text(refused)
    alerts = security_alerts(await stored(store_url, "AuditEvent"))
    reasons = sorted(str(alert["outcomeDesc"]) for alert in alerts)
    assert len(reasons) == 2
    assert "CN=other-gateway,O=North Lab" in reasons[0]
    assert reasons[1].startswith("TLS handshake failed")


async def test_without_an_allowlist_loopback_accepts_everyone_with_a_warning(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="fhirport.hl7"):
        async with running() as app:
            (answer,) = await exchange(app, message("ANYONE|ANYWHERE", "W1"))

    assert msa(answer) == ("AA", "W1")
    assert any("FHIRPORT_HL7_SENDERS" in r.getMessage() for r in caplog.records)


async def test_without_an_allowlist_a_non_loopback_listener_does_not_start(
    running: Running,
) -> None:
    with pytest.raises(MllpExposed, match="loopback"):
        async with running(host="0.0.0.0"):
            pytest.fail("the listener started")


def test_serve_refuses_to_start_mllp_on_a_public_address_without_an_allowlist(
    tmp_path: Path,
) -> None:
    store = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    options = ["serve", "--host", "0.0.0.0", "--mllp-port", "2575", "--store", store]

    # With access control on, so that only the MLLP listener is exposed.
    result = CliRunner().invoke(main, options, env={"FHIRPORT_AUTH": "smart"})

    assert result.exit_code == 2
    assert "--hl7-senders" in result.output
    assert "loopback" in result.output


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        pytest.param({"senders": [{"application": "A"}]}, "messages", id="no-messages"),
        pytest.param(
            {"senders": [{"application": "A", "facility": "F", "messages": ["ADT"]}]},
            "ADT",
            id="type-without-event",
        ),
        pytest.param(
            {
                "senders": [
                    {
                        "application": "A",
                        "facility": "F",
                        "networks": ["10.0.0/8"],
                        "messages": ["*"],
                    }
                ]
            },
            "10.0.0/8",
            id="bad-network",
        ),
        pytest.param(
            {
                "senders": [
                    {
                        "application": "A",
                        "facility": "F",
                        "certificate_subjects": ["no subject"],
                        "messages": ["*"],
                    }
                ]
            },
            "no subject",
            id="bad-subject",
        ),
        pytest.param({"sender": []}, "sender", id="misspelt-key"),
    ],
)
def test_a_bad_allowlist_is_refused_with_the_reason(
    tmp_path: Path, content: dict[str, Any], complaint: str
) -> None:
    path = write_allowlist(tmp_path, content)

    with pytest.raises(SendersFileError, match=complaint):
        load_senders(path)


def test_an_allowlist_that_is_no_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "senders.yaml"
    path.write_text("senders: [unclosed", encoding="utf-8")

    with pytest.raises(SendersFileError, match=r"senders\.yaml"):
        load_senders(path)


def test_the_allowlist_reads_json_and_yaml_alike(tmp_path: Path) -> None:
    from_yaml = load_senders(write_allowlist(tmp_path, ALLOWLIST, ".yaml"))
    from_json = load_senders(write_allowlist(tmp_path, ALLOWLIST, ".json"))

    assert isinstance(from_yaml, SenderAllowlist)
    assert from_yaml == from_json


def test_the_example_allowlist_admits_the_sample_archive_from_a_docker_network() -> None:
    example = load_senders(REPO / "docker" / "hl7-senders.yaml")
    docker_gateway = Peer("172.17.0.1", 40000, None)
    messages = [
        parse(chunk.data)
        for path in sorted((REPO / "fixtures" / "hl7v2" / "archive").iterdir())
        for chunk in split_messages(path.read_bytes())
    ]

    assert len(messages) > 100
    assert [m.control_id for m in messages if example.refusal(m, docker_gateway)] == []
    assert example.refusal(messages[0], Peer("203.0.113.9", 40000, None)) is not None


async def test_the_allowlist_also_binds_the_senders_of_hl7v2_ingest(
    running: Running, store_url: str, tmp_path: Path
) -> None:
    er7 = {"content-type": "x-application/hl7-v2+er7"}
    async with running(hl7_senders=write_allowlist(tmp_path, ALLOWLIST), mllp_port=None) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
            mixed = message("LEGACY|NORTH", "H1") + b"\r" + message("ROGUE|NOWHERE", "H2")
            refused = await http.post("/fhir/$hl7v2-ingest", content=mixed, headers=er7)
            allowed = await http.post(
                "/fhir/$hl7v2-ingest", content=message("LEGACY|NORTH", "H3"), headers=er7
            )
        ledger = [
            await app.state.store.ledger_get("LEGACY|NORTH", control_id)
            for control_id in ("H1", "H3")
        ]

    assert refused.status_code == 403, refused.text
    (issue,) = refused.json()["issue"]
    assert issue["code"] == "forbidden"
    assert "Message 2" in issue["diagnostics"]
    assert "ROGUE|NOWHERE" in issue["diagnostics"]
    assert allowed.status_code == 200, allowed.text
    assert ledger[0] is None  # nothing of a refused request is applied
    assert ledger[1] is not None
    assert len(security_alerts(await stored(store_url, "AuditEvent"))) == 1

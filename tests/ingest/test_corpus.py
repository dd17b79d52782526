"""The public sample corpus (97 messages, v2.3 to 2.8): ingested without an error of ours."""

from __future__ import annotations

import pytest

from server.hl7v2.ingest.importer import Importer, expand_paths
from server.hl7v2.ingest.service import Ingestor
from server.storage.port import Store
from tests.corpus import CORPUS
from tests.ingest.factories import service_on

pytestmark = pytest.mark.anyio


async def test_every_corpus_message_is_applied_or_refused_with_a_reason(store: Store) -> None:
    files = [f for f in expand_paths([str(CORPUS)]) if f.suffix == ".hl7"]

    report = await Importer(Ingestor(service_on(store))).run(files)

    totals = report.totals()
    assert totals["messages"] == len(files) >= 97
    assert totals["by_outcome"].get("failed", 0) == 0
    assert totals["by_outcome"]["applied"] >= 30
    for message in report.messages:
        if message["outcome"] == "out-of-scope":
            assert message["ack_code"] == "AR"
            assert "not mapped" in message["reason"] or "not held" in message["reason"]

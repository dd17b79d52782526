"""memory:// (mongomock) has no multi-document transactions: a transaction is refused whole."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import make_patient
from tests.transactions.conftest import entry, ids_of, post_bundle, transaction

pytestmark = pytest.mark.anyio


@pytest.fixture
def store_url() -> str:
    return "memory://"


async def test_a_transaction_is_refused_naming_the_reason(client: httpx.AsyncClient) -> None:
    response = await post_bundle(client, transaction(entry("POST", "Patient", make_patient())))
    assert response.status_code == 400, response.text
    issue = response.json()["issue"][0]
    assert issue["code"] == "not-supported"
    assert "transactions" in issue["diagnostics"]
    assert await ids_of(client, "Patient") == []

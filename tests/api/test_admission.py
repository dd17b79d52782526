"""A read past its time budget (the limits the admission layer runs it under), before and
after its answer started, with the envelope's record of the answer in the scope as the
app has it."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from server.api.answers import answer_of, new_answer
from server.api.request_limits import RequestLimits

pytestmark = pytest.mark.anyio


def _scope() -> Scope:
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/fhir/Patient",
        "raw_path": b"/fhir/Patient",
        "query_string": b"",
        "headers": [],
    }
    new_answer(scope)
    return scope


async def _run(app_starts: bool) -> tuple[list[Message], BaseException | None]:
    sent: list[Message] = []
    scope = _scope()

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            # As the envelope does on the way out.
            answer_of(scope).start(message["status"])
        sent.append(message)

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        if app_starts:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(5)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    limits = RequestLimits(max_url_length=1024, max_query_params=10, timeout=0.05)
    try:
        await asyncio.wait_for(limits.run(slow, scope, receive, send), timeout=3)
    except TimeoutError as exc:
        return sent, exc
    return sent, None


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_read_cut_before_its_answer_is_a_503() -> None:
    sent, error = await _run(app_starts=False)

    assert error is None
    assert sent[0]["status"] == 503


async def test_a_read_cut_after_its_answer_started_closes_the_connection() -> None:
    sent, error = await _run(app_starts=True)

    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [200]
    assert isinstance(error, TimeoutError)
    assert "took longer" in str(error)

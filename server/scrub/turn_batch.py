"""Serve the requests asked for in one turn of the event loop with one call.

Concurrent scrubs (the ``$scrub`` requests of one server, a benchmark's workers) each
need a few stored resources and one search; asked together they cost one reader-thread
hop per chunk instead of two per claim. A chunk is served after it was asked for, so it
sees every write committed before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Ask = TypeVar("Ask")
Answer = TypeVar("Answer")


class TurnBatch(Generic[Ask, Answer]):
    """Collects the asks of one event-loop turn; ``serve`` answers up to ``limit`` at once,
    in order."""

    def __init__(
        self, serve: Callable[[Sequence[Ask]], Awaitable[Sequence[Answer]]], limit: int
    ) -> None:
        self.serve = serve
        self.limit = limit
        self._pending: list[tuple[Ask, asyncio.Future[Answer]]] = []
        self._serving: set[asyncio.Task[None]] = set()  # held until done (asyncio keeps weak refs)

    async def ask(self, request: Ask) -> Answer:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((request, future))
        return await future

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        for at in range(0, len(pending), self.limit):
            task = asyncio.ensure_future(self._serve(pending[at : at + self.limit]))
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)

    async def _serve(self, chunk: list[tuple[Ask, asyncio.Future[Answer]]]) -> None:
        try:
            answers = await self.serve([request for request, _ in chunk])
            for (_, future), answer in zip(chunk, answers, strict=True):
                if not future.done():  # the asker may have been cancelled
                    future.set_result(answer)
        except Exception as exc:  # every asker gets the error
            for _, future in chunk:
                if not future.done():
                    future.set_exception(exc)
        finally:  # cancelled while serving: so are the askers, rather than wait forever
            for _, future in chunk:
                if not future.done():
                    future.cancel()

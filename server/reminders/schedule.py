"""``fhirport serve --reminders-every 15m``: ``$send-reminders`` run in the background.

The first run starts with the server, the next ``every`` seconds after each run ends.
Stopping lets a run that is under way finish (its reminders are created and sent, not
left in progress), waiting up to ``_STOP_GRACE_S`` before cancelling it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from server.reminders.service import Reminders
from server.reminders.window import DEFAULT_WITHIN_S

log = logging.getLogger("fhirport.reminders")

_STOP_GRACE_S = 30.0


class ReminderSchedule:
    """Runs the reminders every ``every`` seconds until closed."""

    def __init__(self, reminders: Reminders, every: float) -> None:
        self.reminders = reminders
        self.every = every
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="fhirport-reminders")

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.reminders.run(DEFAULT_WITHIN_S)
            except Exception:  # a failed run must not end the schedule
                log.exception("The scheduled reminder run failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every)

    async def close(self) -> None:
        """Stop: let a run under way finish (within the grace period), then end."""
        self._stopping.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), _STOP_GRACE_S)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

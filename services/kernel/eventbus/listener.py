"""NOTIFY wake-ups on a dedicated connection, with reconnect and a catch-up pass after it.

The listening connection is opened with asyncpg directly, never taken from a pool (returning a pooled
connection drops its listeners). A notification is only a hint: workers also poll, and every reconnect
wakes them for a catch-up read, so a lost notification delays delivery by at most the polling interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from services.kernel.eventbus.tables import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


class Listener:
    def __init__(
        self,
        dsn: str,
        on_wake: Callable[[], None],
        *,
        application_name: str,
        health_check_seconds: float = 5.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.dsn = dsn
        self.on_wake = on_wake
        self.application_name = application_name
        self.health_check_seconds = health_check_seconds
        self.connect_timeout = connect_timeout
        self.connected = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lost = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="eventbus:listener")

    async def stop(self) -> None:
        self._stopping.set()
        self._lost.set()
        if self._task is not None:
            await self._task

    def _notified(self, *_: Any) -> None:
        self.on_wake()

    def _terminated(self, *_: Any) -> None:
        self._lost.set()

    async def _run(self) -> None:
        delay = 0.1
        while not self._stopping.is_set():
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(
                    self.dsn,
                    timeout=self.connect_timeout,
                    server_settings={"application_name": f"{self.application_name}:listener"},
                )
                connection.add_termination_listener(self._terminated)
                await connection.add_listener(NOTIFY_CHANNEL, self._notified)
                self.connected = True
                delay = 0.1
                self._lost.clear()
                # Catch up on whatever was published while no one listened.
                self.on_wake()
                while not self._stopping.is_set() and not self._lost.is_set():
                    try:
                        await asyncio.wait_for(self._lost.wait(), timeout=self.health_check_seconds)
                    except TimeoutError:
                        await connection.execute("SELECT 1", timeout=self.health_check_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._stopping.is_set():
                    log.warning("event listener connection lost (%s); reconnecting in %.1fs", exc, delay)
            finally:
                self.connected = False
                if connection is not None and not connection.is_closed():
                    try:
                        await asyncio.wait_for(connection.close(), timeout=2)
                    except Exception:
                        connection.terminate()
            if self._stopping.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            delay = min(delay * 2, 5.0)

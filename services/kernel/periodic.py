"""Periodic jobs of a service (e.g. closing surveys whose time ran out), run beside the event consumers.

Each job runs in its own task at a fixed interval with a little jitter, so replicas do not all wake at
once. A job must be safe to run on several replicas at the same time (lock what it changes, e.g. with
`FOR UPDATE SKIP LOCKED`); a failing run is logged and tried again at the next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[async_sessionmaker[AsyncSession], Any], Awaitable[None]]
    interval_seconds: Callable[[Any], float]


class PeriodicRunner:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], settings: Any, jobs: Sequence[PeriodicJob]
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.jobs = jobs
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._loop(job), name=f"periodic:{job.name}") for job in self.jobs]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []

    async def _loop(self, job: PeriodicJob) -> None:
        interval = job.interval_seconds(self.settings)
        while True:
            try:
                await job.run(self.sessionmaker, self.settings)
            except Exception:
                log.exception("periodic job %s failed; it runs again in %.0f s", job.name, interval)
            await asyncio.sleep(interval * random.uniform(0.9, 1.1))  # noqa: S311 (jitter, not a secret)

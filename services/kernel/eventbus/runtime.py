"""The event-bus runtime of one process: its subscriptions' workers and the listener that wakes them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel.eventbus import repository
from services.kernel.eventbus.consumer import DeliveryPolicy, PassLoop, Worker
from services.kernel.eventbus.listener import Listener
from services.kernel.eventbus.subscriptions import Subscription
from services.kernel.load import RequestLoad

log = logging.getLogger(__name__)


class EventBusRuntime:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        listen_dsn: str,
        subscriptions: Sequence[Subscription],
        policy: DeliveryPolicy,
        application_name: str,
        load: RequestLoad | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.subscriptions = {s.name: s for s in subscriptions}
        self.policy = policy
        self.load = load
        self.workers = [Worker(sessionmaker, s, policy, load) for s in subscriptions]
        # Loops started and stopped while the process runs (one per webhook endpoint), woken alike.
        self.attached: dict[str, PassLoop] = {}
        self.listener = Listener(listen_dsn, self.wake_all, application_name=application_name)
        self.started = False

    def wake_all(self) -> None:
        for worker in self.workers:
            worker.wake()
        for loop in self.attached.values():
            loop.wake()

    def attach(self, loop: PassLoop) -> None:
        """Start a loop that NOTIFY wakes with the workers; `stop` stops it with them."""
        self.attached[loop.name] = loop
        loop.start()

    async def detach(self, name: str) -> None:
        loop = self.attached.pop(name, None)
        if loop is not None:
            await loop.stop()

    async def start(self) -> None:
        if not self.workers:
            self.started = True
            return
        async with self.sessionmaker() as session, session.begin():
            for subscription in self.subscriptions.values():
                await repository.register(session, subscription.name, subscription.topics)
        for worker in self.workers:
            worker.start()
        self.listener.start()
        self.started = True
        log.info("event consumers started: %s", ", ".join(self.subscriptions))

    async def stop(self) -> None:
        """Stop workers after their current pass commits, then the listener."""
        await asyncio.gather(*(worker.stop() for worker in self.workers))
        await asyncio.gather(*(self.detach(name) for name in list(self.attached)))
        await self.listener.stop()
        self.started = False

    @property
    def healthy(self) -> bool:
        return self.started and all(worker.running for worker in self.workers)

"""Delivering to webhook endpoints: one event-bus loop per endpoint, matched to the endpoints stored by
a periodic job on every replica.

Each endpoint's position is an event-bus subscription (`enrollment.webhook.<id>`), so deliveries keep the
bus's guarantees: in the order of the ordering fence, one loop at a time across replicas (the
subscription's advisory lock), and the position moves in the transaction that records the delivery.
A pass delivers one event: the endpoint's answer comes before anything is written, so the pass holds
back no one's ordering fence while it waits, and a process that stops between an endpoint's 2xx and the
commit is the only way a delivery is repeated (with the same `webhook-id`; receivers drop repeats).

A failure keeps the position and schedules the next attempt with exponential backoff and jitter. Events
are never dead-lettered here (that would deliver later events before an earlier one): an endpoint whose
deliveries keep failing for `webhook_disable_after_seconds` and at least `webhook_disable_after_attempts`
times is disabled with the reason, and delivers from where it stopped once ops enable it again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.settings import EnrollmentSettings
from services.enrollment.webhooks import repository
from services.enrollment.webhooks.models import SUBSCRIPTION_PREFIX, WebhookEndpoint, subscription_name
from services.enrollment.webhooks.sender import Sender
from services.kernel import clock
from services.kernel.eventbus import repository as bus
from services.kernel.eventbus.consumer import DeliveryPolicy, Outcome, PassLoop, PassResult
from services.kernel.eventbus.repository import Position
from services.kernel.eventbus.runtime import EventBusRuntime
from services.kernel.metrics import BUS_HANDLED
from services.kernel.periodic import PeriodicJob
from services.kernel.service import LoopSupervisor

log = logging.getLogger(__name__)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one while its overlap lasts."""
    if endpoint.previous_secret and endpoint.previous_secret_until and now < endpoint.previous_secret_until:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def backoff(settings: EnrollmentSettings, attempts: int) -> float:
    """The wait before attempt `attempts + 1`: doubling from the base, capped, with ±20 % jitter so that
    endpoints failing together do not all come back at once."""
    delay = min(settings.webhook_retry_max_seconds, settings.webhook_retry_base_seconds * 2 ** (attempts - 1))
    return float(delay * random.uniform(0.8, 1.2))  # noqa: S311 (jitter, not a secret)


async def deliver_next(
    sessionmaker: async_sessionmaker[AsyncSession],
    endpoint_id: uuid.UUID,
    sender: Sender,
    settings: EnrollmentSettings,
) -> PassResult:
    """Deliver the endpoint's next event, if it is due; one transaction."""
    name = subscription_name(endpoint_id)
    async with sessionmaker() as session, session.begin():
        state = await bus.claim(session, name)
        if state is None:
            return PassResult(Outcome.busy)
        endpoint = await repository.get(session, endpoint_id)
        if endpoint is None or not endpoint.enabled:
            return PassResult(Outcome.idle)
        if state.wait_seconds > 0:
            return PassResult(Outcome.retry_later, delay=state.wait_seconds)
        events, fenced = await bus.read_after(session, state.position, endpoint.topics, 1)
        if not events:
            return PassResult(Outcome.fenced if fenced else Outcome.idle)
        event = events[0]
        now = clock.now()
        result = await sender.deliver(endpoint.url, event, signing_secrets(endpoint, now), now)
        await repository.record_attempt(session, endpoint.id, event, result)
        if result.delivered:
            BUS_HANDLED.labels("enrollment", "enrollment.webhook", "ok").inc()
            await bus.advance(session, name, Position(event.xid, event.id))
            if endpoint.failing_since is not None:
                await repository.set_failing(session, endpoint.id, None)
            return PassResult(Outcome.more, handled=1)
        BUS_HANDLED.labels("enrollment", "enrollment.webhook", "failed").inc()
        attempts = state.attempts + 1
        failing_since = endpoint.failing_since or now
        error = result.error or "failed"
        persistent = now - failing_since >= timedelta(seconds=settings.webhook_disable_after_seconds)
        if persistent and attempts >= settings.webhook_disable_after_attempts:
            reason = (
                f"Disabled after {attempts} failed attempts at event {event.event_id} ({event.topic}), "
                f"failing since {failing_since.isoformat()}; the last: {error}"
            )
            log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
            await repository.disable(session, endpoint.id, reason, now)
            await bus.record_failure(session, name, state.position, attempts, 0, error)
            return PassResult(Outcome.idle)
        if endpoint.failing_since is None:
            await repository.set_failing(session, endpoint.id, failing_since)
        delay = backoff(settings, attempts)
        log.info(
            "webhook %s: event %s not delivered (%s); retry in %.1f s",
            endpoint.id,
            event.event_id,
            error,
            delay,
        )
        await bus.record_failure(session, name, state.position, attempts, delay, error)
        return PassResult(Outcome.retry_later, delay=delay)


class EndpointLoop(PassLoop):
    """Delivers one endpoint's events until stopped; at most `gate`'s size of them deliver at once."""

    def __init__(
        self,
        endpoint_id: uuid.UUID,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: EnrollmentSettings,
        gate: asyncio.Semaphore,
    ) -> None:
        super().__init__(
            subscription_name(endpoint_id),
            DeliveryPolicy(poll_interval_seconds=settings.event_poll_interval_seconds),
        )
        self.endpoint_id = endpoint_id
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.gate = gate
        self.sender = Sender(
            timeout=settings.webhook_timeout_seconds,
            allow_http=settings.webhook_allow_http,
            networks=list(settings.webhook_allowed_networks),
        )

    async def run_pass(self) -> PassResult:
        async with self.gate:
            return await deliver_next(self.sessionmaker, self.endpoint_id, self.sender, self.settings)

    async def stop(self) -> None:
        await super().stop()
        await self.sender.close()


def supervise(
    runtime: EventBusRuntime, sessionmaker: async_sessionmaker[AsyncSession], settings: Any
) -> PeriodicJob:
    """The job that starts a loop for each endpoint and stops the loops of endpoints deleted. A disabled
    endpoint's loop only looks (it delivers again as soon as the endpoint is enabled), and keeps its lag
    in the metrics, where ops watch it."""
    gate = asyncio.Semaphore(settings.webhook_connections)

    async def sync(sessionmaker: async_sessionmaker[AsyncSession], settings: Any) -> None:
        async with sessionmaker() as session:
            wanted = {subscription_name(i): i for i in await repository.endpoint_ids(session)}
        for name in [n for n in runtime.attached if n.startswith(SUBSCRIPTION_PREFIX) and n not in wanted]:
            await runtime.detach(name)
        for name, endpoint_id in wanted.items():
            if name not in runtime.attached:
                runtime.attach(EndpointLoop(endpoint_id, sessionmaker, settings, gate))

    return PeriodicJob(
        name="webhooks", run=sync, interval_seconds=lambda settings: float(settings.webhook_sync_seconds)
    )


WEBHOOKS = LoopSupervisor(connections=lambda settings: int(settings.webhook_connections), job=supervise)

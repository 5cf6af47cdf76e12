"""Delivering events to a subscription's handler: effectively once, in order, one worker at a time.

Each pass is one transaction:
1. take the subscription's lock (a transaction-level advisory lock, tried without waiting; see
   `repository.claim`): any number of replicas may run a worker for the same subscription, but only one
   holds the lock at a time; when a worker dies its transaction aborts, the lock goes with it and a
   standby carries on from the committed position;
2. read the next events behind the ordering fence (see `repository.read_after`);
3. run the handler for each event inside a savepoint, so a failing handler leaves no partial writes (or
   the subscription's `handle_many` for all of them at once, falling back to each event if it fails);
4. store the new position in the same transaction as the handlers' writes, then commit.

A handler that fails keeps the position before its event and schedules the next attempt with
exponential backoff; after `max_attempts` the event goes to `eventbus.dead_letters` with the error and
the subscription moves on. Workers sleep until a NOTIFY wakes them (see `listener.py`) or, as a
fallback, for the polling interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from enum import Enum, auto

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel import telemetry
from services.kernel.eventbus import repository
from services.kernel.eventbus.envelope import Event
from services.kernel.eventbus.repository import Position
from services.kernel.eventbus.subscriptions import Subscription
from services.kernel.load import RequestLoad
from services.kernel.metrics import BUS_HANDLED
from services.kernel.requestid import set_request_id

log = logging.getLogger(__name__)

# How quickly to look again when events wait behind the fence for a transaction still running. The
# transaction that holds the fence often publishes nothing (another consumer's pass, a read that locked a
# row), so no NOTIFY says when it ends: the worker has to look. A look is one indexed query, so the
# back-off stops at 0.2 s, and starts again from the shortest wait after every pass that made progress.
_FENCE_RECHECK_SECONDS = (0.01, 0.02, 0.05, 0.1, 0.2)


@dataclass(frozen=True)
class DeliveryPolicy:
    batch_size: int = 100
    max_attempts: int = 5
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 60.0
    poll_interval_seconds: float = 5.0

    def backoff(self, attempts: int) -> float:
        return float(min(self.retry_max_seconds, self.retry_base_seconds * 2 ** (attempts - 1)))


class Outcome(Enum):
    more = auto()  # a full batch was handled: read again at once
    fenced = auto()  # events wait for a running transaction: look again shortly
    idle = auto()  # nothing to do: sleep until woken
    busy = auto()  # another worker holds the subscription
    retry_later = auto()  # a handler failed: wait for the scheduled attempt


@dataclass(frozen=True)
class PassResult:
    outcome: Outcome
    handled: int = 0
    delay: float | None = None


def describe_error(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]


async def outcomes(
    session: AsyncSession, subscription: Subscription, events: list[Event], *, at_once: bool = True
) -> AsyncGenerator[tuple[Event, BaseException | None]]:
    """Each event with its handler's error (None: handled), in order.

    Events share one savepoint (two round trips for the batch instead of two per event, which is most of
    what one subscription gets through; bench/README.md). When one fails, that savepoint is rolled back,
    the events before it run again together (they succeeded, and handlers are replay-safe by contract),
    and the failure is reported with the error already caught, so a failing handler still runs exactly
    once per attempt. The caller stops reading at a failure it will retry.

    `at_once`: a subscription's `handle_many` may take the events first (the first attempt only: it failed
    before, and the failing event then runs alone, once per attempt).
    """
    pending = list(events)
    if at_once and subscription.handle_many is not None and len(pending) > 1:
        try:
            async with session.begin_nested():
                with telemetry.consuming_many(subscription.name, [e.traceparent for e in pending]):
                    await subscription.handle_many(session, pending)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: S110 - not lost: the handlers, one event at a time, fail and report it
            pass
        else:
            for event in pending:
                yield event, None
            return
    while pending:
        done, error = await handle_batch(session, subscription, pending)
        if error is None:
            for event in pending:
                yield event, None
            return
        if done:
            _, again = await handle_batch(session, subscription, pending[:done])
            if again is not None:
                # Not the same outcome twice: one savepoint per event for the rest of this pass.
                for event in pending:
                    yield event, await handle_one(session, subscription, event)
                return
            for event in pending[:done]:
                yield event, None
        yield pending[done], error
        pending = pending[done + 1 :]


async def handle_batch(
    session: AsyncSession, subscription: Subscription, events: list[Event]
) -> tuple[int, BaseException | None]:
    """The handlers of `events` in one savepoint: (len(events), None) when all succeed (their writes stay
    in the transaction), else (index of the failing event, its error) with the savepoint rolled back."""
    index = 0
    try:
        async with session.begin_nested():
            for index, event in enumerate(events):  # noqa: B007 - read after a failure
                set_request_id(event.request_id)
                with telemetry.consuming(
                    f"{subscription.name} {event.topic}", event.traceparent, subscription=subscription.name
                ):
                    await subscription.handler(session, event)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return index, exc
    finally:
        set_request_id(None)
    return len(events), None


async def handle_one(session: AsyncSession, subscription: Subscription, event: Event) -> BaseException | None:
    """Run the handler in a savepoint, with the event's request id in context. Returns the error, if any."""
    _, error = await handle_batch(session, subscription, [event])
    return error


async def run_pass(
    sessionmaker: async_sessionmaker[AsyncSession], subscription: Subscription, policy: DeliveryPolicy
) -> PassResult:
    """One transaction's worth of delivery for one subscription."""
    batch_size = subscription.batch_size or policy.batch_size
    async with sessionmaker() as session, session.begin():
        state = await repository.claim(session, subscription.name)
        if state is None:
            return PassResult(Outcome.busy)
        if state.wait_seconds > 0:
            return PassResult(Outcome.retry_later, delay=state.wait_seconds)
        events, fenced = await repository.read_after(session, state.position, subscription.topics, batch_size)
        if events and subscription.lock is not None:
            await subscription.lock(session, events)
        position = state.position
        attempts = state.attempts
        handled = 0
        service = subscription.name.split(".", 1)[0]
        handled_ok = BUS_HANDLED.labels(service, subscription.name, "ok")
        async with aclosing(outcomes(session, subscription, events, at_once=not attempts)) as results:
            async for event, error in results:
                if error is None:
                    position, attempts, handled = Position(event.xid, event.id), 0, handled + 1
                    handled_ok.inc()
                    continue
                attempts += 1
                BUS_HANDLED.labels(service, subscription.name, "failed").inc()
                message = describe_error(error)
                if attempts >= policy.max_attempts:
                    log.error(
                        "event %s (%s) dead-lettered for %s after %d attempts: %s",
                        event.event_id,
                        event.topic,
                        subscription.name,
                        attempts,
                        message,
                    )
                    await repository.dead_letter(session, subscription.name, event, attempts, message)
                    position, attempts = Position(event.xid, event.id), 0
                    continue
                delay = policy.backoff(attempts)
                log.warning(
                    "handler of %s failed on event %s (%s), attempt %d of %d, retry in %.2fs: %s",
                    subscription.name,
                    event.event_id,
                    event.topic,
                    attempts,
                    policy.max_attempts,
                    delay,
                    message,
                )
                await repository.record_failure(
                    session, subscription.name, position, attempts, delay, message
                )
                return PassResult(Outcome.retry_later, handled, delay)
        if position != state.position or state.attempts:
            await repository.advance(session, subscription.name, position)
        if len(events) == batch_size:
            return PassResult(Outcome.more, handled)
        return PassResult(Outcome.fenced if fenced else Outcome.idle, handled)


class PassLoop:
    """Runs passes until stopped; sleeps on its wake-up event between them. `run_pass` is the work."""

    def __init__(
        self, name: str, policy: DeliveryPolicy, load: RequestLoad | None = None, yield_seconds: float = 1.0
    ) -> None:
        self.name = name
        self.policy = policy
        # Requests this loop yields to before each pass, `yield_seconds` at most (None: it does not wait).
        self.load = load
        self.yield_seconds = yield_seconds
        self.wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.handled = 0

    async def run_pass(self) -> PassResult:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"eventbus:{self.name}")

    def wake(self) -> None:
        self.wakeup.set()

    async def stop(self) -> None:
        """Finish the pass under way (its transaction commits), then stop."""
        self._stopping.set()
        self.wakeup.set()
        if self._task is not None:
            await self._task

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wakeup.wait(), timeout=seconds)

    async def _run(self) -> None:
        fenced_streak = 0
        error_streak = 0
        while not self._stopping.is_set():
            self.wakeup.clear()
            if self.load is not None:
                await self.load.quiet(self.yield_seconds)
            try:
                result = await self.run_pass()
            except asyncio.CancelledError:
                raise
            except Exception:
                error_streak += 1
                delay = self.policy.backoff(min(error_streak, 10))
                log.exception("event worker %s failed a pass; retry in %.2fs", self.name, delay)
                await self._sleep(delay)
                continue
            error_streak = 0
            self.handled += result.handled
            if result.outcome is Outcome.more:
                fenced_streak = 0
                continue
            if result.outcome is Outcome.fenced:
                if result.handled:
                    fenced_streak = 0  # the fence moved: look again soon rather than backing off further
                delay = _FENCE_RECHECK_SECONDS[min(fenced_streak, len(_FENCE_RECHECK_SECONDS) - 1)]
                fenced_streak += 1
                await self._sleep(min(delay, self.policy.poll_interval_seconds))
                continue
            fenced_streak = 0
            if result.outcome is Outcome.retry_later and result.delay is not None:
                await self._sleep(min(result.delay, self.policy.poll_interval_seconds))
            else:
                await self._sleep(self.policy.poll_interval_seconds)


class Worker(PassLoop):
    """Delivers one subscription's events to its handler (`run_pass`)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        subscription: Subscription,
        policy: DeliveryPolicy,
        load: RequestLoad | None = None,
    ) -> None:
        super().__init__(
            subscription.name,
            policy,
            load if subscription.yields_to_requests else None,
            subscription.yield_seconds,
        )
        self.sessionmaker = sessionmaker
        self.subscription = subscription

    async def run_pass(self) -> PassResult:
        return await run_pass(self.sessionmaker, self.subscription, self.policy)

"""All SQL of the event bus: positions, the fenced read, retries and dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.eventbus.envelope import EVENT_COLUMNS, Event


@dataclass(frozen=True)
class Position:
    """Where a subscription stands: the last event it is done with, as (xid, id). (0, 0) is the start."""

    xid: str
    id: int


@dataclass(frozen=True)
class SubscriptionState:
    name: str
    topics: list[str]
    position: Position
    attempts: int
    wait_seconds: float  # until the next attempt after a failure; 0 when due
    next_attempt_at: datetime | None
    last_error: str | None
    updated_at: datetime


async def register(session: AsyncSession, name: str, topics: Sequence[str]) -> None:
    """Create the subscription at the start of history, or update its topics; the position is kept."""
    await session.execute(
        text(
            """
            INSERT INTO eventbus.subscriptions (name, topics) VALUES (:name, :topics)
            ON CONFLICT (name) DO UPDATE SET topics = EXCLUDED.topics
            WHERE eventbus.subscriptions.topics IS DISTINCT FROM EXCLUDED.topics
            """
        ),
        {"name": name, "topics": list(topics)},
    )


_STATE_COLUMNS = """
    name, topics, last_xid::text AS last_xid, last_id, attempts, next_attempt_at, last_error, updated_at,
    GREATEST(COALESCE(EXTRACT(EPOCH FROM next_attempt_at - clock_timestamp()), 0), 0)::float AS wait_seconds
"""


def _state(row: Any) -> SubscriptionState:
    return SubscriptionState(
        name=row.name,
        topics=list(row.topics),
        position=Position(row.last_xid, row.last_id),
        attempts=row.attempts,
        wait_seconds=row.wait_seconds,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        updated_at=row.updated_at,
    )


# Key space of the subscriptions' advisory locks (the two-int form; "EBUS"), apart from the one-bigint
# locks of migrations and role setup. Within it a subscription's key is `hashtext(name)`: two names sharing
# a hash would only take turns.
LOCK_SPACE = 0x45425553


async def claim(session: AsyncSession, name: str, *, wait: bool = False) -> SubscriptionState | None:
    """Lock the subscription for this transaction: the one-worker-at-a-time guarantee.

    With `wait=False` a subscription locked by another worker is skipped and None comes back.

    The lock is a transaction-level advisory lock, not `FOR UPDATE` on the row: locking a row gives the
    transaction a transaction id at once, and every transaction holding one holds back the ordering fence
    of every consumer on the cluster until it ends. With row locks each pass did that for its whole
    length, even a pass that found nothing to do, and under load the consumers' passes kept fencing each
    other's events (bench/README.md). Now a pass takes a transaction id only when it writes. The row
    is read by a second statement, after the lock is held, so its snapshot includes the position the
    previous holder committed (one statement would take its snapshot before taking the lock).
    """
    lock = (
        "SELECT true FROM pg_advisory_xact_lock(:space, hashtext(:name))"
        if wait
        else "SELECT pg_try_advisory_xact_lock(:space, hashtext(:name))"
    )
    if not (await session.execute(text(lock), {"space": LOCK_SPACE, "name": name})).scalar_one():
        return None
    row = (
        await session.execute(
            text(f"SELECT {_STATE_COLUMNS} FROM eventbus.subscriptions WHERE name = :name"), {"name": name}
        )
    ).one_or_none()
    return _state(row) if row is not None else None


async def get_states(session: AsyncSession, names: Sequence[str]) -> list[SubscriptionState]:
    rows = await session.execute(
        text(f"SELECT {_STATE_COLUMNS} FROM eventbus.subscriptions WHERE name = ANY(:names) ORDER BY name"),
        {"names": list(names)},
    )
    return [_state(row) for row in rows]


LAG_CAP = 100_000


@dataclass(frozen=True)
class Backlog:
    lag: int  # committed events for the subscription's topics past its position (at most LAG_CAP)
    dead_letters: int  # unresolved


async def backlogs(session: AsyncSession, names: Sequence[str]) -> dict[str, Backlog]:
    """How far behind each subscription is, and its unresolved dead letters (for ops and metrics)."""
    rows = await session.execute(
        text(
            f"""
            SELECT s.name,
                   (SELECT count(*) FROM (
                        SELECT 1 FROM eventbus.events e
                        WHERE e.topic = ANY(s.topics) AND (e.xid, e.id) > (s.last_xid, s.last_id)
                        LIMIT {LAG_CAP}) pending) AS lag,
                   (SELECT count(*) FROM eventbus.dead_letters d
                    WHERE d.subscription = s.name AND d.resolved_at IS NULL) AS dead
            FROM eventbus.subscriptions s WHERE s.name = ANY(:names)
            """
        ),
        {"names": list(names)},
    )
    return {row.name: Backlog(int(row.lag), int(row.dead)) for row in rows}


class Page(NamedTuple):
    events: list[Event]
    fenced: bool  # events past the position wait behind the fence (from transactions still running)


async def read_after(session: AsyncSession, position: Position, topics: Sequence[str], limit: int) -> Page:
    """Events after `position` whose transactions are all finished: the ordering fence. And whether more
    wait behind it, asked in the same statement (a round trip less per pass).

    The ordering columns are qualified on purpose: the select list exposes `xid` as text, and a bare
    `ORDER BY xid` would sort by that output column, putting xid 1000 before xid 999 and skipping events
    each time transaction ids gain a digit.

    Only rows with `xid < pg_snapshot_xmin(pg_current_snapshot())` are read. Every transaction below
    that bound has ended, so no event can later appear behind the position we store; a transaction still
    running (even one that took a lower `id`) is simply read on a later pass. `fenced` is true when an
    event past the position is at or above that bound (committed or not): the caller looks again soon,
    since the transaction holding the fence back may publish nothing and so send no NOTIFY when it ends.
    It is only asked when the page is not full (a full page means another pass at once anyway): during
    a burst the question scans the whole backlog, and asking it on every pass cost about a sixth of the
    bus's throughput in the benchmark (1,678 against 1,945-2,004 events/s).
    """
    rows = (
        await session.execute(
            text(
                f"""
                WITH fence AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
                page AS MATERIALIZED (
                    SELECT e.xid AS position_xid, {EVENT_COLUMNS} FROM eventbus.events AS e, fence
                    WHERE (e.xid, e.id) > (CAST(CAST(:xid AS text) AS xid8), :id)
                      AND e.xid < fence.xmin
                      AND e.topic = ANY(:topics)
                    ORDER BY e.xid, e.id
                    LIMIT :limit
                )
                SELECT CASE WHEN (SELECT count(*) FROM page) < :limit THEN EXISTS (
                           SELECT 1 FROM eventbus.events AS f, fence
                           WHERE (f.xid, f.id) > (CAST(CAST(:xid AS text) AS xid8), :id)
                             AND f.xid >= fence.xmin
                             AND f.topic = ANY(:topics)
                       ) ELSE false END AS fenced,
                       page.*
                FROM (SELECT 1) AS one LEFT JOIN page ON true
                ORDER BY page.position_xid, page.id
                """
            ),
            {"xid": position.xid, "id": position.id, "topics": list(topics), "limit": limit},
        )
    ).all()
    return Page([Event.from_row(row) for row in rows if row.id is not None], bool(rows[0].fenced))


async def advance(session: AsyncSession, name: str, position: Position) -> None:
    await session.execute(
        text(
            """
            UPDATE eventbus.subscriptions
            SET last_xid = CAST(CAST(:xid AS text) AS xid8), last_id = :id, attempts = 0,
                next_attempt_at = NULL, last_error = NULL, updated_at = clock_timestamp()
            WHERE name = :name
            """
        ),
        {"name": name, "xid": position.xid, "id": position.id},
    )


async def record_failure(
    session: AsyncSession, name: str, position: Position, attempts: int, delay_seconds: float, error: str
) -> None:
    """Keep the position before the failing event and schedule the next attempt."""
    await session.execute(
        text(
            """
            UPDATE eventbus.subscriptions
            SET last_xid = CAST(CAST(:xid AS text) AS xid8), last_id = :id, attempts = :attempts,
                next_attempt_at = clock_timestamp() + make_interval(secs => :delay),
                last_error = :error, updated_at = clock_timestamp()
            WHERE name = :name
            """
        ),
        {
            "name": name,
            "xid": position.xid,
            "id": position.id,
            "attempts": attempts,
            "delay": delay_seconds,
            "error": error,
        },
    )


async def dead_letter(session: AsyncSession, name: str, event: Event, attempts: int, error: str) -> None:
    await session.execute(
        text(
            """
            INSERT INTO eventbus.dead_letters (subscription, event_pk, attempts, error)
            VALUES (:name, :event_pk, :attempts, :error)
            """
        ),
        {"name": name, "event_pk": event.id, "attempts": attempts, "error": error},
    )


@dataclass(frozen=True)
class DeadLetter:
    id: int
    subscription: str
    attempts: int
    error: str
    dead_at: datetime
    resolved_at: datetime | None
    event: Event


_DEAD_LETTER_SELECT = f"""
    SELECT d.id AS dl_id, d.subscription, d.attempts AS dl_attempts, d.error, d.dead_at, d.resolved_at,
           {", ".join("e." + c.strip() for c in EVENT_COLUMNS.split(","))}
    FROM eventbus.dead_letters d JOIN eventbus.events e ON e.id = d.event_pk
"""


def _dead_letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row.dl_id,
        subscription=row.subscription,
        attempts=row.dl_attempts,
        error=row.error,
        dead_at=row.dead_at,
        resolved_at=row.resolved_at,
        event=Event.from_row(row),
    )


async def list_dead_letters(
    session: AsyncSession, subscriptions: Sequence[str], *, include_resolved: bool, limit: int, offset: int
) -> list[DeadLetter]:
    resolved = "" if include_resolved else "AND d.resolved_at IS NULL"
    rows = await session.execute(
        text(
            f"{_DEAD_LETTER_SELECT} WHERE d.subscription = ANY(:subs) {resolved} "
            "ORDER BY d.id LIMIT :limit OFFSET :offset"
        ),
        {"subs": list(subscriptions), "limit": limit, "offset": offset},
    )
    return [_dead_letter(row) for row in rows]


async def get_dead_letter(session: AsyncSession, dead_letter_id: int, *, lock: bool) -> DeadLetter | None:
    suffix = " FOR UPDATE OF d" if lock else ""
    row = (
        await session.execute(text(f"{_DEAD_LETTER_SELECT} WHERE d.id = :id{suffix}"), {"id": dead_letter_id})
    ).one_or_none()
    return _dead_letter(row) if row is not None else None


async def mark_retry(
    session: AsyncSession, dead_letter_id: int, *, resolved: bool, error: str | None
) -> None:
    await session.execute(
        text(
            """
            UPDATE eventbus.dead_letters
            SET attempts = attempts + 1,
                resolved_at = CASE WHEN :resolved THEN clock_timestamp() ELSE NULL END,
                error = COALESCE(:error, error)
            WHERE id = :id
            """
        ),
        {"id": dead_letter_id, "resolved": resolved, "error": error},
    )


async def position_before_event(session: AsyncSession, event_id: Any) -> Position | None:
    """The position just before an event, so that a reset there replays it and everything after."""
    row = (
        await session.execute(
            text(
                """
                SELECT e.xid::text AS xid, e.id FROM eventbus.events e WHERE e.event_id = :event_id
                """
            ),
            {"event_id": event_id},
        )
    ).one_or_none()
    if row is None:
        return None
    # (xid, id - 1) sorts directly before (xid, id) and after every event of a lower xid.
    return Position(row.xid, row.id - 1)


async def xid_handed_out(session: AsyncSession, xid: str) -> bool:
    """Whether a transaction id has been assigned (to any transaction, running or finished) by now."""
    handed_out = await session.scalar(
        text("SELECT CAST(CAST(:xid AS text) AS xid8) < pg_snapshot_xmax(pg_current_snapshot())"),
        {"xid": xid},
    )
    return bool(handed_out)


async def end_position(session: AsyncSession) -> Position:
    """The position after the last visible event: a reset there skips all history."""
    row = (
        await session.execute(
            text(
                """
                SELECT e.xid::text AS xid, e.id FROM eventbus.events AS e
                WHERE e.xid < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY e.xid DESC, e.id DESC LIMIT 1
                """
            )
        )
    ).one_or_none()
    return Position(row.xid, row.id) if row is not None else Position("0", 0)

"""The stored Idempotency-Key claims and results: how they are taken, read, filled in and given back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.idempotency.models import IdempotencyKey
from services.kernel.presence import HOLDER_GONE, Holder

_HOLDER_GONE = text(
    HOLDER_GONE.format(
        pid="enrollment.idempotency_keys.holder_pid", started="enrollment.idempotency_keys.holder_started"
    )
)

_STORE_RESULTS = text(
    """
    UPDATE enrollment.idempotency_keys k SET status_code = r.status_code, response = r.response
    FROM unnest(CAST(:owners AS text[]), CAST(:routes AS text[]), CAST(:keys AS text[]),
                CAST(:codes AS int[]), CAST(:responses AS jsonb[]))
         AS r(owner_oid, route, key, status_code, response)
    WHERE k.owner_oid = r.owner_oid AND k.route = r.route AND k.key = r.key
    """
)


async def purge_older_than(session: AsyncSession, retention: timedelta) -> None:
    await session.execute(
        delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < func.now() - retention)
    )


async def take(
    session: AsyncSession,
    owner_oid: str,
    route: str,
    key: str,
    *,
    request_hash: str,
    holder: Holder,
    lease: timedelta,
) -> bool:
    """Claim the key for `holder`: a new key, or one whose request died unanswered (at once when the
    process that held it is gone, else when its lease lapsed). False when someone else's claim or
    result stands."""
    claimed = {
        "request_hash": request_hash,
        "locked_until": func.now() + lease,
        "holder_pid": holder.pid,
        "holder_started": holder.started,
    }
    statement = insert(IdempotencyKey).values(owner_oid=owner_oid, route=route, key=key, **claimed)
    taken = await session.execute(
        statement.on_conflict_do_update(
            index_elements=["owner_oid", "route", "key"],
            set_=claimed,
            where=col(IdempotencyKey.status_code).is_(None)
            & ((col(IdempotencyKey.locked_until) < func.now()) | _HOLDER_GONE),
        ).returning(text("1"))
    )
    return taken.first() is not None


async def get(session: AsyncSession, owner_oid: str, route: str, key: str) -> IdempotencyKey:
    found = await session.execute(
        select(IdempotencyKey).where(
            IdempotencyKey.owner_oid == owner_oid,
            IdempotencyKey.route == route,
            IdempotencyKey.key == key,
        )
    )
    return found.scalar_one()


async def store_results(
    session: AsyncSession, results: Sequence[tuple[tuple[str, str, str], int, Any]]
) -> None:
    """Fill in the results of several claims ((owner, route, key), status, body) in one statement."""
    await session.execute(
        _STORE_RESULTS,
        {
            "owners": [owner for (owner, _, _), _, _ in results],
            "routes": [route for (_, route, _), _, _ in results],
            "keys": [key for (_, _, key), _, _ in results],
            "codes": [code for _, code, _ in results],
            "responses": [json.dumps(body) for _, _, body in results],
        },
    )


async def delete_unanswered(session: AsyncSession, owner_oid: str, route: str, key: str) -> None:
    await session.execute(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.owner_oid) == owner_oid,
            col(IdempotencyKey.route) == route,
            col(IdempotencyKey.key) == key,
            col(IdempotencyKey.status_code).is_(None),
        )
    )

"""`Idempotency-Key` for POSTs that create enrollments (IETF draft-ietf-httpapi-idempotency-key-header).

A key belongs to the caller (the token's `oid`) and the route. The first request with a key claims it in
a short transaction of its own, so a concurrent repeat sees the claim at once and gets 409. The result
is stored in the request's own transaction, beside the enrollment it describes: either both are kept or
neither. A repeat then gets the stored status and body; the same key with a different body gets 422.

Decisions where the draft leaves room:
- Only successful results are stored. A refused request changed nothing, so its key is released and a
  retry is decided afresh (a full session may have a free seat by then).
- A claim whose request died without answering is taken over by the next request with the key as soon
  as the process that held it is gone (killed, crashed: `services.kernel.presence`), and otherwise when
  its `LEASE` lapses (a process alive but stuck); keys are kept for `RETENTION` (24 hours) and purged
  lazily.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.idempotency import repository
from services.kernel.presence import Holder
from services.kernel.problems import Conflict, Problem

LEASE = timedelta(seconds=60)
RETENTION = timedelta(hours=24)

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes a retry safe: a repeat with the same key and body returns the first result.",
    ),
]


class KeyInUse(Conflict):
    slug = "idempotency-key-in-use"
    title = "A request with this Idempotency-Key is still being processed"


class KeyReused(Problem):
    status = 422
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was used with a different request"


@dataclass(frozen=True)
class Claim:
    owner_oid: str
    route: str
    key: str


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    holder: Holder,
    owner_oid: str,
    route: str,
    key: str,
    body: Any,
) -> Claim | JSONResponse:
    """Claim the key for this request (held by this process, `holder`), or answer from what an earlier
    request with it left."""
    digest = request_hash(body)
    async with sessionmaker() as session, session.begin():
        await repository.purge_older_than(session, RETENTION)
        if await repository.take(
            session, owner_oid, route, key, request_hash=digest, holder=holder, lease=LEASE
        ):
            return Claim(owner_oid, route, key)
        row = await repository.get(session, owner_oid, route, key)
    if row.request_hash != digest:
        raise KeyReused("The key was first used with a different body; use a new key for a new request.")
    if row.status_code is None:
        raise KeyInUse("Wait for the first request with this key to finish, then repeat it.")
    return JSONResponse(row.response, status_code=row.status_code, headers={"Idempotent-Replayed": "true"})


async def complete_many(session: AsyncSession, results: Sequence[tuple[Claim, int, Any]]) -> None:
    """Store the results of requests decided in one transaction, in it, in one statement: each is kept
    exactly when its enrollment is."""
    if results:
        await repository.store_results(
            session, [((c.owner_oid, c.route, c.key), code, body) for c, code, body in results]
        )


async def release(sessionmaker: async_sessionmaker[AsyncSession], held: Claim) -> None:
    """Give the key back after a refused or failed request (nothing was changed)."""
    async with sessionmaker() as session, session.begin():
        await repository.delete_unanswered(session, held.owner_oid, held.route, held.key)


def sessionmaker_of(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker

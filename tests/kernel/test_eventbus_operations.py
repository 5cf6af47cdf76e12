"""Dead letters, their retry, and replay from a position, through the ops API a service exposes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from devtools.devkeys import DEV_AUDIENCE, DEV_ISSUER
from services.kernel import database
from services.kernel.auth.jwks import JwksCache
from services.kernel.auth.tokens import TokenVerifier
from services.kernel.eventbus import admin
from services.kernel.eventbus.consumer import DeliveryPolicy
from services.kernel.eventbus.runtime import EventBusRuntime
from services.kernel.problem_handlers import install_problem_handlers
from tests.kernel.eventbus_support import FAST, Recorder, drain, handled, publish_pings, register
from tests.support import TokenFactory


@pytest.fixture
async def ops_client(
    db: AsyncEngine, keys_dir: Path, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Recorder]]:
    """A minimal service exposing the event-bus ops API for one recorder subscription."""
    recorder = Recorder(fail_on={13})
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(admin.router)
    sessionmaker = database.create_sessionmaker(db)
    app.state.sessionmaker = sessionmaker
    app.state.verifier = TokenVerifier(
        issuer=DEV_ISSUER, audience=DEV_AUDIENCE, jwks=JwksCache((keys_dir / "jwks.json").as_uri())
    )
    app.state.eventbus = EventBusRuntime(
        sessionmaker,
        listen_dsn=database.libpq_dsn(database_url),
        subscriptions=[recorder.subscription()],
        policy=FAST,
        application_name="tests",
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, recorder


async def test_always_failing_event_is_dead_lettered_and_later_events_flow(
    sessionmaker: async_sessionmaker[AsyncSession],
    ops_client: tuple[httpx.AsyncClient, Recorder],
    tokens: TokenFactory,
) -> None:
    client, recorder = ops_client
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    [poison, after] = await publish_pings(sessionmaker, 13, 14)

    await drain(sessionmaker, subscription)

    assert recorder.calls[poison] == FAST.max_attempts
    assert await handled(sessionmaker) == {after: 1}
    response = await client.get("/eventbus/dead-letters", headers=tokens.header("ops"))
    assert response.status_code == 200
    [letter] = response.json()["items"]
    assert letter["event"]["event_id"] == str(poison)
    assert letter["attempts"] == FAST.max_attempts
    assert "RuntimeError: boom on 13" in letter["error"]

    # Still failing: 409 with the new error, the attempt is counted, nothing lands.
    failed = await client.post(f"/eventbus/dead-letters/{letter['id']}/retry", headers=tokens.header("ops"))
    assert failed.status_code == 409
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["type"] == "urn:problem:handler-failed"
    assert failed.json()["attempts"] == FAST.max_attempts + 1
    assert poison not in await handled(sessionmaker)

    recorder.fail_on.clear()  # the bug is fixed
    retried = await client.post(f"/eventbus/dead-letters/{letter['id']}/retry", headers=tokens.header("ops"))
    assert retried.status_code == 200
    assert retried.json()["resolved_at"] is not None
    assert await handled(sessionmaker) == {after: 1, poison: 1}
    open_letters = await client.get("/eventbus/dead-letters", headers=tokens.header("ops"))
    assert open_letters.json()["items"] == []
    again = await client.post(f"/eventbus/dead-letters/{letter['id']}/retry", headers=tokens.header("ops"))
    assert again.status_code == 409


async def test_reset_replays_from_the_beginning_or_from_an_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    ops_client: tuple[httpx.AsyncClient, Recorder],
    tokens: TokenFactory,
) -> None:
    client, recorder = ops_client
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    first, second, third = await publish_pings(sessionmaker, 1, 2, 3)
    await drain(sessionmaker, subscription)
    assert await handled(sessionmaker) == {first: 1, second: 1, third: 1}

    response = await client.post(
        f"/eventbus/subscriptions/{subscription.name}/reset",
        json={"from_event_id": str(second)},
        headers=tokens.header("ops"),
    )
    assert response.status_code == 200
    await drain(sessionmaker, subscription)
    assert await handled(sessionmaker) == {first: 1, second: 2, third: 2}

    await client.post(
        f"/eventbus/subscriptions/{subscription.name}/reset",
        json={"to": "beginning"},
        headers=tokens.header("ops"),
    )
    await drain(sessionmaker, subscription)
    assert await handled(sessionmaker) == {first: 2, second: 3, third: 3}

    await client.post(
        f"/eventbus/subscriptions/{subscription.name}/reset", json={"to": "end"}, headers=tokens.header("ops")
    )
    await drain(sessionmaker, subscription)
    assert await handled(sessionmaker) == {first: 2, second: 3, third: 3}

    listed = await client.get("/eventbus/subscriptions", headers=tokens.header("ops"))
    assert listed.json()["items"][0]["name"] == subscription.name
    async with sessionmaker() as session:
        last = (await session.execute(text("SELECT max(id) FROM eventbus.events"))).scalar_one()
    end = listed.json()["items"][0]["position"]
    assert end["id"] == last

    # A position read back from the listing (a finished transaction) is taken as it is.
    moved = await client.post(
        f"/eventbus/subscriptions/{subscription.name}/reset",
        json={"position": {"xid": end["xid"], "id": end["id"] - 1}},
        headers=tokens.header("ops"),
    )
    assert moved.status_code == 200, moved.text
    await drain(sessionmaker, subscription)
    assert await handled(sessionmaker) == {first: 2, second: 3, third: 4}


async def test_a_position_beyond_every_transaction_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
    ops_client: tuple[httpx.AsyncClient, Recorder],
    tokens: TokenFactory,
) -> None:
    """A reset to an xid not yet handed out would skip every event until the counter got there."""
    client, recorder = ops_client
    subscription = recorder.subscription()
    await register(sessionmaker, subscription)
    response = await client.post(
        f"/eventbus/subscriptions/{subscription.name}/reset",
        json={"position": {"xid": "5929915426768026463", "id": 603}},
        headers=tokens.header("ops"),
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith(":position-in-the-future")
    [first] = await publish_pings(sessionmaker, 1)
    await drain(sessionmaker, subscription)
    assert await handled(sessionmaker) == {first: 1}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"to": "beginning", "from_event_id": "00000000-0000-0000-0000-000000000000"}, 422),
        ({"to": "yesterday"}, 422),
        ({"position": {"xid": "-1", "id": 0}}, 422),
        ({"from_event_id": "00000000-0000-0000-0000-000000000000"}, 404),
    ],
)
async def test_reset_refuses_bad_input(
    sessionmaker: async_sessionmaker[AsyncSession],
    ops_client: tuple[httpx.AsyncClient, Recorder],
    tokens: TokenFactory,
    body: dict[str, object],
    status: int,
) -> None:
    client, recorder = ops_client
    await register(sessionmaker, recorder.subscription())
    response = await client.post(
        "/eventbus/subscriptions/test.recorder/reset", json=body, headers=tokens.header("ops")
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_ops_api_requires_the_ops_role(
    ops_client: tuple[httpx.AsyncClient, Recorder], tokens: TokenFactory
) -> None:
    client, _ = ops_client
    assert (await client.get("/eventbus/dead-letters")).status_code == 401
    assert (
        await client.get("/eventbus/dead-letters", headers=tokens.header("coordinator"))
    ).status_code == 403
    unknown = await client.post(
        "/eventbus/subscriptions/nope/reset", json={"to": "end"}, headers=tokens.header("ops")
    )
    assert unknown.status_code == 404


def test_backoff_grows_and_is_capped() -> None:
    policy = DeliveryPolicy(retry_base_seconds=0.5, retry_max_seconds=4)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]

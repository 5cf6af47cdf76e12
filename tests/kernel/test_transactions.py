"""`TransactionalRoute`: commit before the answer, roll back on errors, and run a request PostgreSQL
aborted as a deadlock or serialization victim again on a fresh transaction (503 when that keeps failing)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kernel import database
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.problem_handlers import install_problem_handlers

TABLE = "bus_test.transactional_rows"


def raise_sqlstate(code: str) -> str:
    """A statement PostgreSQL itself fails with this SQLSTATE (as it does a deadlock victim)."""
    return f"DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '{code}'; END $$"


@pytest.fixture
async def app(db: AsyncEngine) -> AsyncIterator[FastAPI]:
    async with db.begin() as conn:
        await conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
        await conn.execute(text(f"CREATE TABLE {TABLE} (tag text NOT NULL, attempt int NOT NULL)"))
    attempts: dict[str, int] = {}
    router = APIRouter(route_class=TransactionalRoute)

    @router.post("/rows/{tag}")
    async def write(
        tag: str, session: SessionDep, fail_times: int = 0, code: str = "40P01"
    ) -> dict[str, int]:
        attempts[tag] = attempts.get(tag, 0) + 1
        await session.execute(
            text(f"INSERT INTO {TABLE} VALUES (:tag, :attempt)"), {"tag": tag, "attempt": attempts[tag]}
        )
        if attempts[tag] <= fail_times:
            await session.execute(text(raise_sqlstate(code)))
        return {"attempts": attempts[tag]}

    @router.post("/fails-at-commit/{tag}")
    async def fails_at_commit(tag: str, session: SessionDep) -> dict[str, str]:
        await session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
        await session.execute(text(f"INSERT INTO {TABLE} VALUES (:tag, 1)"), {"tag": tag})
        await session.execute(text("CREATE TEMP TABLE doomed (x int UNIQUE DEFERRABLE) ON COMMIT DROP"))
        await session.execute(text("INSERT INTO doomed VALUES (1), (1)"))  # refused only at commit
        return {"written": tag}

    application = FastAPI()
    install_problem_handlers(application)
    application.state.sessionmaker = database.create_sessionmaker(db)
    application.include_router(router)
    yield application
    async with db.begin() as conn:
        await conn.execute(text(f"DROP TABLE {TABLE}"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def rows(db: AsyncEngine, tag: str) -> list[int]:
    async with db.connect() as conn:
        result = await conn.execute(text(f"SELECT attempt FROM {TABLE} WHERE tag = :tag"), {"tag": tag})
        return [row.attempt for row in result]


@pytest.mark.parametrize("code", ["40P01", "40001"])
async def test_a_deadlock_or_serialization_victim_is_run_again_and_only_its_last_attempt_is_kept(
    client: httpx.AsyncClient, db: AsyncEngine, code: str
) -> None:
    tag = uuid.uuid4().hex
    answer = await client.post(f"/rows/{tag}", params={"fail_times": 2, "code": code})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"attempts": 3}
    assert await rows(db, tag) == [3]


async def test_a_request_that_keeps_being_aborted_is_answered_503_with_retry_after_and_writes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tag = uuid.uuid4().hex
    answer = await client.post(f"/rows/{tag}", params={"fail_times": 100})
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:problem:transaction-conflict"
    assert int(answer.headers["retry-after"]) >= 1
    assert await rows(db, tag) == []


async def test_other_database_errors_are_not_retried(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tag = uuid.uuid4().hex
    answer = await client.post(f"/rows/{tag}", params={"fail_times": 1, "code": "22012"})  # division by zero
    assert answer.status_code == 400
    assert await rows(db, tag) == []


async def test_a_commit_that_fails_is_answered_as_a_problem_not_as_the_built_2xx(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tag = uuid.uuid4().hex
    answer = await client.post(f"/fails-at-commit/{tag}")
    assert answer.status_code == 409
    assert answer.json()["type"] == "urn:problem:concurrent-conflict"
    assert answer.headers["content-type"] == "application/problem+json"
    assert await rows(db, tag) == []


def test_a_service_refuses_a_router_whose_routes_would_answer_before_committing() -> None:
    from services.kernel.service import _require_transactional

    loose = APIRouter()

    @loose.get("/x")
    async def x() -> None:
        return None

    with pytest.raises(RuntimeError, match="TransactionalRoute"):
        _require_transactional(loose)

"""Each service's database role reaches its own schema and the event bus, and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from services.feedback.app import create_app
from services.feedback.settings import FeedbackSettings
from services.kernel import database
from services.roles import SERVICES, grant_roles, role_of
from tests.support import TokenFactory, running

OTHER_TABLES = {
    "catalog": "catalog.offerings",
    "enrollment": "enrollment.people",
    "feedback": "feedback.surveys",
}


@pytest.fixture
async def roles(database_url: str, db: Any) -> list[str]:
    return await grant_roles(database_url)


async def as_role(connection: asyncpg.Connection, service: str, sql: str) -> None:
    async with connection.transaction():
        await connection.execute(f"SET LOCAL ROLE {role_of(service)}")
        await connection.execute(sql)


async def test_a_service_role_cannot_read_another_services_schema(
    database_url: str, roles: list[str]
) -> None:
    assert roles == [role_of(s) for s in SERVICES]
    connection = await asyncpg.connect(database.libpq_dsn(database_url))
    try:
        for service in SERVICES:
            await as_role(connection, service, f"SELECT * FROM {OTHER_TABLES[service]} LIMIT 1")  # its own
            await as_role(connection, service, "SELECT * FROM eventbus.events LIMIT 1")
            await as_role(connection, service, "SELECT * FROM eventbus.subscriptions LIMIT 1")
            for other, table in OTHER_TABLES.items():
                if other != service:
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await as_role(connection, service, f"SELECT * FROM {table} LIMIT 1")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await as_role(connection, service, f"CREATE TABLE {service}.sneaky (id int)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await as_role(connection, service, "DELETE FROM eventbus.events")
    finally:
        await connection.close()
    assert await grant_roles(database_url) == roles  # again: changes nothing, fails on nothing


async def test_the_feedback_service_runs_under_its_own_role(
    database_url: str, roles: list[str], service_settings: Callable[..., dict[str, Any]], tokens: TokenFactory
) -> None:
    as_role = make_url(database_url).set(username=role_of("feedback"), password=None)
    settings = service_settings(
        database_url=as_role.render_as_string(hide_password=False),
        ballot_key="MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
    )
    async with running(create_app(FeedbackSettings(**settings))) as client:
        assert (await client.get("/readyz")).status_code == 200
        coordinator = tokens.header("coordinator")
        templates = await client.get("/survey-templates", headers=coordinator)
        assert templates.status_code == 200
        assert len(templates.json()["items"]) == 2
        created = await client.post(
            "/survey-templates",
            json={
                "key": "role-check",
                "title": "T",
                "questions": [{"key": "q", "type": "free-text", "text": "?"}],
            },
            headers=coordinator,
        )
        assert created.status_code == 201, created.text
        subscriptions = await client.get("/eventbus/subscriptions", headers=tokens.header("ops"))
        assert subscriptions.status_code == 200
        assert {s["name"] for s in subscriptions.json()["items"]} >= {"feedback.surveys"}


async def test_the_feedback_role_has_statement_logging_off(database_url: str, roles: list[str]) -> None:
    """The server's own log must not time each anonymous ballot's insert."""
    connection = await asyncpg.connect(database.libpq_dsn(database_url))
    try:
        settings = await connection.fetchval(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "WHERE r.rolname = $1 AND s.setdatabase = 0",
            role_of("feedback"),
        )
    finally:
        await connection.close()
    assert set(settings) >= {"log_statement=none", "log_min_duration_statement=-1"}


async def test_only_the_enrolment_role_rewrites_event_payloads(database_url: str, roles: list[str]) -> None:
    """Erasure rewrites the payloads naming an erased person (docs/adr/0017-erasure-by-re-keying.md):
    the enrolment role may update those columns and nothing else of an event; no other role may."""
    rewrite = "UPDATE eventbus.events SET payload = payload, aggregate_id = aggregate_id WHERE false"
    connection = await asyncpg.connect(database.libpq_dsn(database_url))
    try:
        await as_role(connection, "enrollment", rewrite)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_role(connection, "enrollment", "UPDATE eventbus.events SET topic = topic WHERE false")
        for service in ("catalog", "feedback"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await as_role(connection, service, rewrite)
    finally:
        await connection.close()

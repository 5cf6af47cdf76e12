"""Data released before answering became anonymous is held to today's rules when the schema moves on:
small surveys' responses go, rare answers go, per-answer events go, and nothing else is lost."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kernel import database
from services.registry import MIGRATION_SETS

FEEDBACK = next(s for s in MIGRATION_SETS if s.schema == "feedback")
EVENTBUS = next(s for s in MIGRATION_SETS if s.schema == "eventbus")


@pytest.fixture
async def empty(server_url: str) -> AsyncIterator[AsyncEngine]:
    name = f"ledelse_legacy_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database.libpq_dsn(server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    engine = database.create_engine(
        make_url(server_url).set(database=name).render_as_string(hide_password=False),
        application_name="legacy",
    )
    try:
        yield engine
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def _to(revision: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        for migration_set, target in ((EVENTBUS, "head"), (FEEDBACK, revision)):
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{migration_set.schema}"'))
            cfg = migration_set.config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, target)

    return run


async def test_legacy_releases_are_held_to_the_threshold(empty: AsyncEngine) -> None:
    async with empty.begin() as conn:
        await conn.run_sync(_to("feedback_0003"))
        template = (await conn.execute(text("SELECT id FROM feedback.survey_templates LIMIT 1"))).scalar_one()
        small, large, unit = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for survey, responses in ((small, 3), (large, 6)):
            await conn.execute(
                text(
                    "INSERT INTO feedback.surveys (id, template_id, kind, title, status, opened_by, "
                    "opened_at, open_until, closed_at, responses) "
                    "VALUES (:id, :t, 'custom', 'S', 'closed', 'x', now(), now(), now(), :n)"
                ),
                {"id": survey, "t": template, "n": responses},
            )
            for i in range(responses):
                answers = {"useful": 4, **({"take-away": "Bare én"} if i == 0 else {})}
                await conn.execute(
                    text(
                        "INSERT INTO feedback.responses (id, survey_id, org_unit_id, sector, answers) "
                        "VALUES (:id, :s, :u, 'Bydel', CAST(:a AS jsonb))"
                    ),
                    {"id": uuid.uuid4(), "s": survey, "u": unit, "a": json.dumps(answers)},
                )
        person = uuid.uuid4()
        await conn.execute(
            text(
                "INSERT INTO feedback.invitations (id, survey_id, person_id, answered, invited_at) "
                "VALUES (:id, :s, :p, true, now())"
            ),
            {"id": uuid.uuid4(), "s": large, "p": person},
        )
        await conn.execute(
            text(
                "INSERT INTO eventbus.events "
                "(event_id, topic, aggregate_type, aggregate_id, source, payload_version, payload) VALUES "
                "(gen_random_uuid(), 'feedback.response_received', 'survey', :s, 'feedback', 1, '{}'), "
                "(gen_random_uuid(), 'feedback.survey_closed', 'survey', :s, 'feedback', 1, '{}')"
            ),
            {"s": str(large)},
        )
    async with empty.begin() as conn:
        await conn.run_sync(_to("head"))
        kept = (
            await conn.execute(text("SELECT survey_id, answers FROM feedback.responses ORDER BY survey_id"))
        ).all()
        found = (await conn.execute(text("SELECT id, responses FROM feedback.surveys"))).all()
        surveys: dict[uuid.UUID, int] = {row.id: row.responses for row in found}
        invitation = (
            await conn.execute(
                text("SELECT person_id, credential_issued, withdrawn FROM feedback.invitations")
            )
        ).one()
        topics = (await conn.execute(text("SELECT topic FROM eventbus.events"))).scalars().all()
    assert {survey for survey, _ in kept} == {large}
    assert [answers for _, answers in kept] == [{"useful": 4}] * 6  # the lone comment is gone
    assert surveys == {small: 0, large: 6}
    assert tuple(invitation) == (person, True, False)  # answered then: cannot take a credential now
    assert list(topics) == ["feedback.survey_closed"]

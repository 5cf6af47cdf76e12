"""Reads and writes of templates, surveys, invitations, sealed ballots and released responses."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.feedback.directory.models import KnownPerson
from services.feedback.participants.models import Participant
from services.feedback.surveys.models import (
    Invitation,
    Response,
    SealedBallot,
    Survey,
    SurveyStatus,
    SurveyTemplate,
)

# --- templates -------------------------------------------------------------------------------------------


async def template(session: AsyncSession, key: str, version: int | None = None) -> SurveyTemplate | None:
    """A template's given version, or its newest."""
    statement = select(SurveyTemplate).where(SurveyTemplate.key == key)
    if version is not None:
        statement = statement.where(SurveyTemplate.version == version)
    found = await session.execute(statement.order_by(col(SurveyTemplate.version).desc()).limit(1))
    return found.scalar_one_or_none()


async def template_exists(session: AsyncSession, key: str) -> bool:
    return bool(await session.scalar(select(func.count()).where(SurveyTemplate.key == key)))


async def lock_template(session: AsyncSession, template_id: uuid.UUID) -> None:
    await session.execute(select(SurveyTemplate.id).where(SurveyTemplate.id == template_id).with_for_update())


async def questions_of_every_version(session: AsyncSession, key: str) -> list[list[dict[str, Any]]]:
    found = await session.execute(select(SurveyTemplate.questions).where(SurveyTemplate.key == key))
    return list(found.scalars())


async def newest_templates(session: AsyncSession, *, limit: int, offset: int) -> list[SurveyTemplate]:
    """The newest version of every template, by key."""
    newest = (
        select(SurveyTemplate.key, func.max(SurveyTemplate.version).label("version"))
        .group_by(col(SurveyTemplate.key))
        .subquery()
    )
    rows = await session.execute(
        select(SurveyTemplate)
        .join(
            newest,
            (col(SurveyTemplate.key) == newest.c.key) & (col(SurveyTemplate.version) == newest.c.version),
        )
        .order_by(col(SurveyTemplate.key))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars())


async def template_versions(session: AsyncSession, key: str) -> list[SurveyTemplate]:
    """Every version of a template, newest first."""
    rows = await session.execute(
        select(SurveyTemplate).where(SurveyTemplate.key == key).order_by(col(SurveyTemplate.version).desc())
    )
    return list(rows.scalars())


async def templates_by_id(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, SurveyTemplate]:
    rows = await session.execute(select(SurveyTemplate).where(col(SurveyTemplate.id).in_(ids)))
    return {t.id: t for t in rows.scalars()}


# --- surveys ---------------------------------------------------------------------------------------------


async def insert_survey(session: AsyncSession, values: dict[str, Any], *, origin_key: str | None) -> Survey:
    """A new survey; with an `origin_key` already taken, the survey that holds it instead."""
    statement = pg_insert(Survey).values(**values, origin_key=origin_key)
    if origin_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["origin_key"])
    created = (await session.execute(statement.returning(col(Survey.id)))).scalar_one_or_none()
    which = Survey.id == created if created is not None else Survey.origin_key == origin_key
    return (await session.execute(select(Survey).where(which))).scalar_one()


async def survey_by_origin(session: AsyncSession, origin_key: str) -> Survey | None:
    found = await session.execute(select(Survey).where(Survey.origin_key == origin_key))
    return found.scalar_one_or_none()


async def survey_for_update(session: AsyncSession, survey_id: uuid.UUID) -> Survey | None:
    """The survey locked for change and read afresh under the lock."""
    found = await session.execute(
        select(Survey)
        .where(Survey.id == survey_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found.scalar_one_or_none()


async def next_due_survey(session: AsyncSession, now: datetime) -> uuid.UUID | None:
    """One open survey whose time has run out, locked; surveys other replicas hold are skipped."""
    found = await session.execute(
        select(Survey.id)
        .where(Survey.status == SurveyStatus.open, col(Survey.open_until) <= now)
        .order_by(col(Survey.open_until))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return found.scalar_one_or_none()


async def next_survey_to_remind(session: AsyncSession, now: datetime, before: timedelta) -> Survey | None:
    """One open survey whose reminder is due and not sent, locked (other replicas skip it). Due `before`
    its close; a survey open for less than a day by then gets none (its invitation is recent)."""
    found = await session.execute(
        select(Survey)
        .where(
            Survey.status == SurveyStatus.open,
            col(Survey.reminded_at).is_(None),
            col(Survey.open_until) > now,
            col(Survey.open_until) - before <= now,
            col(Survey.opened_at) + timedelta(days=1) <= col(Survey.open_until) - before,
        )
        .order_by(col(Survey.open_until))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return found.scalar_one_or_none()


async def surveys(
    session: AsyncSession, where: Iterable[tuple[Any, object]], *, limit: int, offset: int
) -> list[Survey]:
    """Surveys whose columns equal the given values, newest first."""
    statement = select(Survey)
    for column, value in where:
        statement = statement.where(column == value)
    rows = await session.execute(
        statement.order_by(col(Survey.opened_at).desc(), col(Survey.id)).limit(limit).offset(offset)
    )
    return list(rows.scalars())


# --- invitations -----------------------------------------------------------------------------------------


async def add_invitations(
    session: AsyncSession, survey_id: uuid.UUID, people: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Invite people: someone invited already keeps their one invitation, shown again if withdrawn.
    Returns those invited for the first time."""
    rows = [{"id": uuid.uuid4(), "survey_id": survey_id, "person_id": p} for p in people]
    statement = pg_insert(Invitation).values(rows)
    written = await session.execute(
        statement.on_conflict_do_update(
            index_elements=["survey_id", "person_id"],
            set_={"withdrawn": False},
            where=col(Invitation.withdrawn).is_(True),
        ).returning(col(Invitation.person_id), text("xmax = 0"))
    )
    return sorted(person for person, inserted in written.all() if inserted)


async def not_credentialed(session: AsyncSession, survey_id: uuid.UUID) -> list[uuid.UUID]:
    """Invitees (not withdrawn) who have not fetched a credential: all the service can know of who has
    not answered (a credential is fetched signed in; the answer comes without a name)."""
    found = await session.execute(
        select(Invitation.person_id)
        .where(
            col(Invitation.survey_id) == survey_id,
            col(Invitation.withdrawn).is_(False),
            col(Invitation.credential_issued).is_(False),
        )
        .order_by(col(Invitation.person_id))
    )
    return list(found.scalars())


async def withdraw_invitations(
    session: AsyncSession, survey_id: uuid.UUID, people: Collection[uuid.UUID]
) -> None:
    await session.execute(
        update(Invitation)
        .where(col(Invitation.survey_id) == survey_id, col(Invitation.person_id).in_(people))
        .values(withdrawn=True)
    )


async def count_invited(session: AsyncSession, survey_id: uuid.UUID) -> int:
    invited = await session.scalar(
        select(func.count()).where(
            col(Invitation.survey_id) == survey_id, col(Invitation.withdrawn).is_(False)
        )
    )
    return int(invited or 0)


async def invited_counts(session: AsyncSession, survey_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Invitations not withdrawn, per survey; surveys without any are left out."""
    rows = await session.execute(
        select(col(Invitation.survey_id), func.count())
        .where(col(Invitation.survey_id).in_(survey_ids), col(Invitation.withdrawn).is_(False))
        .group_by(col(Invitation.survey_id))
    )
    return {survey_id: int(invited) for survey_id, invited in rows.all()}


# --- who takes part --------------------------------------------------------------------------------------


async def participants(
    session: AsyncSession, *, session_id: uuid.UUID | None = None, offering_id: uuid.UUID | None = None
) -> set[uuid.UUID]:
    """People with a confirmed place in the session, or in the offering."""
    condition = (
        col(Participant.session_id) == session_id
        if session_id is not None
        else col(Participant.offering_id) == offering_id
    )
    return set((await session.execute(select(Participant.person_id).where(condition).distinct())).scalars())


async def active_person_by_oid(session: AsyncSession, oid: str) -> KnownPerson | None:
    found = await session.execute(
        select(KnownPerson).where(KnownPerson.entra_oid == oid, col(KnownPerson.active)).limit(1)
    )
    return found.scalar_one_or_none()


# --- ballots and responses -------------------------------------------------------------------------------


async def sealed_ballots(session: AsyncSession, survey_id: uuid.UUID) -> list[bytes]:
    found = await session.execute(select(SealedBallot.sealed).where(SealedBallot.survey_id == survey_id))
    return list(found.scalars())


async def insert_responses(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(Response), list(rows))


async def delete_ballots(session: AsyncSession, survey_id: uuid.UUID) -> None:
    await session.execute(delete(SealedBallot).where(col(SealedBallot.survey_id) == survey_id))

"""Reads and writes behind credentials and ballots. Nothing here joins a person to a ballot: the ballot
statements take a survey and a token hash, never a person or an invitation."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select, update

from services.feedback.directory.models import KnownOrgUnit, KnownPerson
from services.feedback.surveys.models import (
    Invitation,
    SealedBallot,
    Survey,
    SurveyKey,
    SurveyStatus,
    SurveyTemplate,
)

# --- keys ------------------------------------------------------------------------------------------------


async def insert_key(
    session: AsyncSession, survey_id: uuid.UUID, public_key: bytes, sealed_private: bytes
) -> None:
    """A survey's key pair, unless it has one (then the first stays)."""
    await session.execute(
        insert(SurveyKey)
        .values(survey_id=survey_id, public_key=public_key, sealed_private_key=sealed_private)
        .on_conflict_do_nothing(index_elements=["survey_id"])
    )


async def keys(session: AsyncSession, survey_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, SurveyKey]:
    found = await session.execute(select(SurveyKey).where(col(SurveyKey.survey_id).in_(survey_ids)))
    return {k.survey_id: k for k in found.scalars()}


async def erase_private_key(session: AsyncSession, survey_id: uuid.UUID) -> None:
    await session.execute(
        update(SurveyKey).where(col(SurveyKey.survey_id) == survey_id).values(sealed_private_key=None)
    )


# --- invitations -----------------------------------------------------------------------------------------


async def invitations_of(
    session: AsyncSession,
    person_id: uuid.UUID,
    now: datetime,
    *,
    open_only: bool,
    limit: int,
    offset: int,
    survey_id: uuid.UUID | None = None,
) -> list[tuple[Invitation, Survey, SurveyTemplate, bool]]:
    """A person's invitations (not withdrawn; to one survey if named), soonest closing first, each with
    whether its survey takes answers now."""
    now_open = (col(Survey.status) == SurveyStatus.open) & (col(Survey.open_until) > now)
    statement = (
        select(Invitation, Survey, SurveyTemplate, now_open.label("o"))
        .join(Survey, col(Survey.id) == col(Invitation.survey_id))
        .join(SurveyTemplate, col(SurveyTemplate.id) == col(Survey.template_id))
        .where(Invitation.person_id == person_id, col(Invitation.withdrawn).is_(False))
    )
    if open_only:
        statement = statement.where(now_open)
    if survey_id is not None:
        statement = statement.where(Invitation.survey_id == survey_id)
    rows = await session.execute(
        statement.order_by(col(Survey.open_until), col(Survey.id)).limit(limit).offset(offset)
    )
    return [(i, s, t, bool(o)) for i, s, t, o in rows.all()]


async def invitations_for_update(
    session: AsyncSession, person_id: uuid.UUID, survey_ids: Collection[uuid.UUID]
) -> list[tuple[Invitation, Survey]]:
    """The person's invitations to these surveys, locked in survey order, with their surveys."""
    rows = await session.execute(
        select(Invitation, Survey)
        .join(Survey, col(Survey.id) == col(Invitation.survey_id))
        .where(Invitation.person_id == person_id, col(Invitation.survey_id).in_(survey_ids))
        .order_by(col(Invitation.survey_id))
        .with_for_update(of=[Invitation])
        .execution_options(populate_existing=True)
    )
    return [(i, s) for i, s in rows.all()]


async def credential_holders(
    session: AsyncSession, survey_id: uuid.UUID
) -> Counter[tuple[uuid.UUID | None, str | None]]:
    """How many of the survey's invitees were issued a credential, by their (unit, sector) now."""
    rows = await session.execute(
        select(KnownPerson.org_unit_id, KnownOrgUnit.sector)
        .select_from(Invitation)
        .join(KnownPerson, col(KnownPerson.person_id) == col(Invitation.person_id))
        .join(KnownOrgUnit, col(KnownOrgUnit.org_unit_id) == col(KnownPerson.org_unit_id), isouter=True)
        .where(Invitation.survey_id == survey_id, col(Invitation.credential_issued))
    )
    return Counter((unit, sector) for unit, sector in rows.all())


# --- ballots ---------------------------------------------------------------------------------------------


async def survey_for_share(
    session: AsyncSession, survey_id: uuid.UUID
) -> tuple[Survey, SurveyTemplate] | None:
    """The survey with its template, held for share so that closing waits for the ballot being written."""
    row = (
        await session.execute(
            select(Survey, SurveyTemplate)
            .join(SurveyTemplate, col(SurveyTemplate.id) == col(Survey.template_id))
            .where(Survey.id == survey_id)
            .with_for_update(of=[Survey], read=True)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def org_unit(session: AsyncSession, org_unit_id: uuid.UUID) -> KnownOrgUnit | None:
    return await session.get(KnownOrgUnit, org_unit_id)


async def insert_ballot(
    session: AsyncSession, survey_id: uuid.UUID, token_hash: bytes, sealed: bytes
) -> bool:
    """Store a sealed ballot; False when its token was spent already."""
    stored = await session.execute(
        insert(SealedBallot)
        .values(id=uuid.uuid4(), survey_id=survey_id, token_hash=token_hash, sealed=sealed)
        .on_conflict_do_nothing(index_elements=["survey_id", "token_hash"])
        .returning(col(SealedBallot.id))
    )
    return stored.first() is not None

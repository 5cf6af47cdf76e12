"""The surveys, responses and offering titles a report is made from."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.feedback.directory.models import KnownOffering
from services.feedback.surveys.models import Response, Survey, SurveyTemplate


async def surveys(
    session: AsyncSession,
    where: Collection[tuple[Any, object]],
    *,
    closed_between: tuple[datetime | None, datetime | None] = (None, None),
) -> list[tuple[Survey, SurveyTemplate]]:
    """The surveys (with their templates) whose columns equal the given values, oldest closed first.
    `where` pairs a column of Survey or SurveyTemplate with the value it must have; with a closing
    window, only surveys closed within it (from inclusive, to exclusive)."""
    statement = select(Survey, SurveyTemplate).join(
        SurveyTemplate, col(SurveyTemplate.id) == col(Survey.template_id)
    )
    for column, value in where:
        statement = statement.where(column == value)
    start, end = closed_between
    if start is not None:
        statement = statement.where(col(Survey.closed_at) >= start)
    if end is not None:
        statement = statement.where(col(Survey.closed_at) < end)
    rows = await session.execute(statement.order_by(col(Survey.closed_at)))
    return [(s, t) for s, t in rows.all()]


async def responses(
    session: AsyncSession,
    survey_ids: Collection[uuid.UUID],
    *,
    org_unit_id: uuid.UUID | None = None,
    sector: str | None = None,
) -> list[Response]:
    """The responses of these surveys, only those naming the unit or sector when one is given."""
    query = select(Response).where(col(Response.survey_id).in_(survey_ids))
    if org_unit_id is not None:
        query = query.where(Response.org_unit_id == org_unit_id)
    if sector is not None:
        query = query.where(Response.sector == sector)
    return list((await session.execute(query)).scalars())


async def latest_survey(
    session: AsyncSession, kind: str, group_id: uuid.UUID, offering_id: uuid.UUID | None
) -> tuple[Survey, SurveyTemplate] | None:
    """The leader group's survey of this kind opened last (for the offering, if one is named)."""
    statement = (
        select(Survey, SurveyTemplate)
        .join(SurveyTemplate, col(SurveyTemplate.id) == col(Survey.template_id))
        .where(Survey.kind == kind, Survey.leader_group_id == group_id)
    )
    if offering_id is not None:
        statement = statement.where(Survey.offering_id == offering_id)
    row = (await session.execute(statement.order_by(col(Survey.opened_at).desc()).limit(1))).first()
    return (row[0], row[1]) if row else None


async def offering_titles(session: AsyncSession, offering_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    found = await session.execute(
        select(KnownOffering).where(col(KnownOffering.offering_id).in_(offering_ids))
    )
    return {o.offering_id: o.title for o in found.scalars()}

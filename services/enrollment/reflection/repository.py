"""Reads and writes of reflection rounds, their groups and pins, and the people they are made from."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import OrgUnit, Person
from services.enrollment.enrollments.models import EnrollmentStatus, Participation
from services.enrollment.reflection.models import (
    ReflectionMember,
    ReflectionPin,
    ReflectionRound,
    RoundStatus,
)
from services.enrollment.sessions.models import SessionView


async def confirmed_in_offering(session: AsyncSession, offering_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone holding a confirmed place in one of the offering's sessions."""
    found = await session.execute(
        select(Participation.person_id)
        .join(SessionView, col(SessionView.id) == col(Participation.session_id))
        .where(SessionView.offering_id == offering_id, Participation.status == EnrollmentStatus.confirmed)
        .distinct()
    )
    return set(found.scalars())


async def people(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Person]:
    found = await session.execute(select(Person).where(col(Person.id).in_(ids)))
    return {p.id: p for p in found.scalars()}


async def units(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, OrgUnit]:
    found = await session.execute(select(OrgUnit).where(col(OrgUnit.id).in_(ids)))
    return {u.id: u for u in found.scalars()}


async def confirmed_memberships(
    session: AsyncSession, people: Collection[uuid.UUID], *, exclude: uuid.UUID | None
) -> list[tuple[uuid.UUID, int, uuid.UUID]]:
    """(round, group number, person) for these people in confirmed rounds other than `exclude`."""
    statement = (
        select(ReflectionMember.round_id, ReflectionMember.group_number, ReflectionMember.person_id)
        .join(ReflectionRound, col(ReflectionRound.id) == col(ReflectionMember.round_id))
        .where(ReflectionRound.status == RoundStatus.confirmed, col(ReflectionMember.person_id).in_(people))
    )
    if exclude is not None:
        statement = statement.where(col(ReflectionRound.id) != exclude)
    rows = await session.execute(statement)
    return [(round_id, number, person_id) for round_id, number, person_id in rows.all()]


async def round_by_id(session: AsyncSession, round_id: uuid.UUID, *, lock: bool) -> ReflectionRound | None:
    statement = select(ReflectionRound).where(ReflectionRound.id == round_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def members(session: AsyncSession, round_id: uuid.UUID) -> list[ReflectionMember]:
    found = await session.execute(
        select(ReflectionMember)
        .where(ReflectionMember.round_id == round_id)
        .order_by(col(ReflectionMember.person_id))
    )
    return list(found.scalars())


async def pins(session: AsyncSession, round_id: uuid.UUID) -> list[ReflectionPin]:
    found = await session.execute(select(ReflectionPin).where(ReflectionPin.round_id == round_id))
    return list(found.scalars())


async def replace_members(
    session: AsyncSession, round_id: uuid.UUID, groups: Iterable[tuple[int, Iterable[uuid.UUID]]]
) -> None:
    await session.execute(delete(ReflectionMember).where(col(ReflectionMember.round_id) == round_id))
    session.add_all(
        ReflectionMember(round_id=round_id, person_id=p, group_number=number)
        for number, group in groups
        for p in group
    )
    await session.flush()


async def delete_pins(session: AsyncSession, round_id: uuid.UUID) -> None:
    await session.execute(delete(ReflectionPin).where(col(ReflectionPin.round_id) == round_id))


async def rounds_of(session: AsyncSession, offering_id: uuid.UUID) -> list[ReflectionRound]:
    rows = await session.execute(
        select(ReflectionRound)
        .where(ReflectionRound.offering_id == offering_id)
        .order_by(col(ReflectionRound.created_at).desc(), col(ReflectionRound.id))
    )
    return list(rows.scalars())


async def confirmed_rounds_of(
    session: AsyncSession, person_id: uuid.UUID
) -> list[tuple[ReflectionMember, ReflectionRound]]:
    """A person's places in confirmed rounds, the latest confirmed first."""
    rows = await session.execute(
        select(ReflectionMember, ReflectionRound)
        .join(ReflectionRound, col(ReflectionRound.id) == col(ReflectionMember.round_id))
        .where(ReflectionMember.person_id == person_id, ReflectionRound.status == RoundStatus.confirmed)
        .order_by(col(ReflectionRound.confirmed_at).desc())
    )
    return [(member, found) for member, found in rows.all()]

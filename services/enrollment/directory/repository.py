"""SQL for the directory."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.enrollment.directory.models import OrgUnit, Person


async def person_by_oid(session: AsyncSession, oid: str) -> Person | None:
    result = await session.execute(select(Person).where(Person.entra_oid == oid))
    return result.scalar_one_or_none()


async def list_org_units(session: AsyncSession, *, limit: int, offset: int) -> Sequence[OrgUnit]:
    result = await session.execute(
        select(OrgUnit).order_by(col(OrgUnit.name), col(OrgUnit.id)).limit(limit).offset(offset)
    )
    return result.scalars().all()

"""SQL for offering kinds, themes and offerings."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.catalog.offerings.models import Offering, OfferingKind, OfferingTheme, Theme


async def list_kinds(session: AsyncSession) -> Sequence[OfferingKind]:
    result = await session.execute(
        select(OfferingKind).order_by(col(OfferingKind.sort_order), col(OfferingKind.code))
    )
    return result.scalars().all()


async def get_kind(session: AsyncSession, code: str) -> OfferingKind | None:
    return await session.get(OfferingKind, code)


async def list_themes(session: AsyncSession) -> Sequence[Theme]:
    result = await session.execute(select(Theme).order_by(col(Theme.name_nb)))
    return result.scalars().all()


async def get_theme(session: AsyncSession, code: str) -> Theme | None:
    return await session.get(Theme, code)


async def known_theme_codes(session: AsyncSession, codes: Iterable[str]) -> set[str]:
    result = await session.execute(select(Theme.code).where(col(Theme.code).in_(list(codes))))
    return set(result.scalars().all())


async def add(session: AsyncSession, row: Offering | OfferingKind | Theme) -> None:
    session.add(row)
    await session.flush()


async def get_offering(
    session: AsyncSession, offering_id: uuid.UUID, *, lock: bool = False
) -> Offering | None:
    query = select(Offering).where(Offering.id == offering_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def themes_of(session: AsyncSession, offering_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    result = await session.execute(
        select(OfferingTheme.offering_id, OfferingTheme.theme_code)
        .where(col(OfferingTheme.offering_id).in_(offering_ids))
        .order_by(col(OfferingTheme.theme_code))
    )
    themes: dict[uuid.UUID, list[str]] = defaultdict(list)
    for offering_id, code in result.all():
        themes[offering_id].append(code)
    return themes


async def set_themes(session: AsyncSession, offering_id: uuid.UUID, codes: Iterable[str]) -> None:
    await session.execute(delete(OfferingTheme).where(col(OfferingTheme.offering_id) == offering_id))
    session.add_all(OfferingTheme(offering_id=offering_id, theme_code=code) for code in sorted(set(codes)))
    await session.flush()
    # The themes' names (and the kind's) are searched with the summary.
    await session.execute(
        text("UPDATE catalog.offerings SET search_labels = catalog.search_labels(id) WHERE id = :id"),
        {"id": offering_id},
    )

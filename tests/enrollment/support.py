"""Helpers for enrollment tests: offerings and sessions put straight into the enrollment service's read
models (as the catalogue's events would), and enrollments made through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.offerings.models import OfferingView
from services.enrollment.sessions.models import SessionView
from tests.support import TokenFactory, create_person


async def add_offering(session: AsyncSession, **fields: Any) -> OfferingView:
    offering = OfferingView(
        id=fields.pop("id", uuid.uuid4()),
        kind_code=fields.pop("kind_code", "theme-gathering"),
        title=fields.pop("title", "Temasamling: Effektive ledergrupper"),
        audience=fields.pop("audience", "all-leaders"),
        audience_org_unit_ids=fields.pop("audience_org_unit_ids", []),
        booking_unit=fields.pop("booking_unit", "person"),
        is_programme=fields.pop("is_programme", False),
        status=fields.pop("status", "published"),
        offering_version=fields.pop("offering_version", 1),
        **fields,
    )
    session.add(offering)
    await session.flush()
    return offering


async def add_session(
    session: AsyncSession, offering: OfferingView, *, capacity: int = 10, days: float = 30, **fields: Any
) -> SessionView:
    starts = datetime.now(UTC) + timedelta(days=days)
    course = SessionView(
        id=fields.pop("id", uuid.uuid4()),
        offering_id=offering.id,
        offering_title=offering.title,
        offering_kind=offering.kind_code,
        booking_unit=offering.booking_unit,
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        capacity=capacity,
        **fields,
    )
    session.add(course)
    await session.flush()
    return course


async def people_ids(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> list[uuid.UUID]:
    """`count` new people in the directory (no unit, leading nobody), by id."""
    tag = uuid.uuid4().hex[:6]
    async with sessionmaker() as session, session.begin():
        return [(await create_person(session, f"p{i}-{tag}@oslo.kommune.no")).id for i in range(count)]


async def move_to_past(sessionmaker: async_sessionmaker[AsyncSession], *session_ids: uuid.UUID) -> None:
    """Time passes: the sessions started an hour ago."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "UPDATE enrollment.sessions SET starts_at = now() - interval '1 hour', "
                "ends_at = now() + interval '2 hours', enrollment_closes_at = NULL, "
                "cancellation_deadline = NULL WHERE id = ANY(:ids)"
            ),
            {"ids": list(session_ids)},
        )


async def enroll(
    enrollment: httpx.AsyncClient, headers: dict[str, str], expect: int = 201, **body: Any
) -> dict[str, Any]:
    response = await enrollment.post(
        "/enrollments", json={k: str(v) for k, v in body.items()}, headers=headers
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def topics(sessionmaker: async_sessionmaker[AsyncSession], prefix: str = "enrollment.") -> list[str]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT topic FROM eventbus.events WHERE topic LIKE :p ORDER BY id"), {"p": prefix + "%"}
        )
        return list(rows.scalars())


async def payloads(sessionmaker: async_sessionmaker[AsyncSession], topic: str) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT payload FROM eventbus.events WHERE topic = :t ORDER BY id"), {"t": topic}
        )
        return list(rows.scalars())


def coordinator(tokens: TokenFactory) -> dict[str, str]:
    return tokens.header("coordinator", email="konsulent@uke.oslo.kommune.no")

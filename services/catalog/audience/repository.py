"""Reads of the audience facts the enrollment service publishes about each signed-in person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.database import DriverStatement, Reads

_FACTS = text("SELECT facts FROM catalog.audience WHERE entra_oid = :oid")
FACTS = DriverStatement.of(_FACTS)


async def facts(reads: Reads, oid: str) -> Any:
    """The person's facts (JSON), read on the driver's connection; None if unknown."""
    rows = await reads.fetch(FACTS, {"oid": oid})
    return rows[0][0] if rows else None


async def facts_in(session: AsyncSession, oid: str) -> Any:
    """`facts`, read in the request's transaction."""
    return await session.scalar(_FACTS, {"oid": oid})

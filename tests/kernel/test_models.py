"""Enum columns (`EnumText`): the rules read enums, the table keeps the values as readable text."""

from __future__ import annotations

from enum import StrEnum

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kernel.models import EnumText


class Colour(StrEnum):
    red = "red"
    green = "green"


PAINT = Table(
    "paint",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("colour", EnumText(Colour, 8)),
    prefixes=["TEMPORARY"],
)


async def test_an_enum_column_stores_the_value_and_reads_back_the_enum(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.run_sync(PAINT.create)
        await conn.execute(insert(PAINT), [{"id": 1, "colour": Colour.red}, {"id": 2, "colour": "green"}])
        stored = (await conn.execute(text("SELECT colour FROM paint ORDER BY id"))).scalars().all()
        read = (await conn.execute(select(PAINT.c.colour).order_by(PAINT.c.id))).scalars().all()
        found = (await conn.execute(select(PAINT.c.id).where(PAINT.c.colour == Colour.green))).scalar()
        await conn.rollback()
    assert stored == ["red", "green"]
    assert read == [Colour.red, Colour.green]
    assert all(type(c) is Colour for c in read)
    assert found == 2


async def test_a_value_the_enum_does_not_know_is_refused_both_ways(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.run_sync(PAINT.create)
        with pytest.raises(StatementError, match="'blue' is not a valid Colour"):
            await conn.execute(insert(PAINT), [{"id": 1, "colour": "blue"}])
        await conn.execute(text("INSERT INTO paint VALUES (2, 'purple')"))
        with pytest.raises(ValueError, match="'purple' is not a valid Colour"):
            (await conn.execute(select(PAINT.c.colour))).scalars().all()
        await conn.rollback()

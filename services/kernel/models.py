"""Base class of every table model: importing it installs the naming convention before any table exists.

SQLAlchemy names an index or constraint when it is attached to its table, so the convention must be on
the shared metadata before the first model class is defined, whatever the import order.
"""

from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import DateTime, Dialect, String, func
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from services.kernel.database import NAMING_CONVENTION

SQLModel.metadata.naming_convention = NAMING_CONVENTION

E = TypeVar("E", bound=StrEnum)


class TableBase(SQLModel):
    """Subclass with `table=True` for a table; the schema goes in `__table_args__`."""


def server_timestamp() -> Any:
    """A `timestamptz NOT NULL DEFAULT now()` column: the database stamps the row when it is inserted."""
    return Field(
        default=None,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )


class EnumText(TypeDecorator[E]):
    """A `StrEnum` kept as its value in a varchar column: the rules see the enum, the table plain text.

    Not PostgreSQL's own enum type: adding a value to one needs a migration outside a transaction,
    and the columns are read by SQL in reports and migrations as text. A value the enum does not
    know, written behind the application's back, fails loudly when read instead of passing as a
    string.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int | None = None) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def enum_field(default: E, *, length: int | None = None, index: bool = False) -> Any:
    """A NOT NULL column holding one of `default`'s enum values."""
    return Field(default=default, sa_type=EnumText(type(default), length), nullable=False, index=index)

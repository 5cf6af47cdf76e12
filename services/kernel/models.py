"""Base class of every table model: importing it installs the naming convention before any table exists.

SQLAlchemy names an index or constraint when it is attached to its table, so the convention must be on
the shared metadata before the first model class is defined, whatever the import order.
"""

from typing import Any

from sqlalchemy import DateTime, func
from sqlmodel import Field, SQLModel

from services.kernel.database import NAMING_CONVENTION

SQLModel.metadata.naming_convention = NAMING_CONVENTION


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

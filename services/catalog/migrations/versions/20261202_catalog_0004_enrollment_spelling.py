"""One spelling across the API: a session's enrollment window columns say `enrollment`.

The API was not yet released; its fields, paths, problem types and events were renamed with these.

Revision ID: catalog_0004
Revises: catalog_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "catalog_0004"
down_revision: str | None = "catalog_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("enrolment_opens_at", "enrollment_opens_at"), ("enrolment_closes_at", "enrollment_closes_at"))


def upgrade() -> None:
    for old, new in COLUMNS:
        op.alter_column("sessions", old, new_column_name=new, schema="catalog")


def downgrade() -> None:
    for old, new in COLUMNS:
        op.alter_column("sessions", new, new_column_name=old, schema="catalog")

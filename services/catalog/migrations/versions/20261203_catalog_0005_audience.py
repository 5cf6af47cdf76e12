"""The audience facts of each person the directory knows, from the enrollment service's events: what the
listing judges the signed-in person's eligibility by.

Revision ID: catalog_0005
Revises: catalog_0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "catalog_0005"
down_revision: str | None = "catalog_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audience",
        sa.Column("entra_oid", sa.String(64), primary_key=True),
        sa.Column("facts", JSONB(), nullable=False),
        schema="catalog",
    )


def downgrade() -> None:
    op.drop_table("audience", schema="catalog")

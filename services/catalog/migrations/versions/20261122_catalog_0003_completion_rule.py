"""An offering's completion rule: how many sessions a participant must attend.

Revision ID: catalog_0003
Revises: catalog_0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0003"
down_revision: str | None = "catalog_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "offerings", sa.Column("completion_min_sessions", sa.Integer(), nullable=True), schema="catalog"
    )
    op.create_check_constraint(
        "completion_min_sessions_positive",
        "offerings",
        "completion_min_sessions IS NULL OR completion_min_sessions > 0",
        schema="catalog",
    )


def downgrade() -> None:
    op.drop_constraint("ck_offerings_completion_min_sessions_positive", "offerings", schema="catalog")
    op.drop_column("offerings", "completion_min_sessions", schema="catalog")

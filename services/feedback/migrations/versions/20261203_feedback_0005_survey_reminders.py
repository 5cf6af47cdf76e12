"""When a survey's reminder went out: one reminder per survey, on one replica.

Revision ID: feedback_0005
Revises: feedback_0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feedback_0005"
down_revision: str | None = "feedback_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "surveys", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True), schema="feedback"
    )


def downgrade() -> None:
    op.drop_column("surveys", "reminded_at", schema="feedback")

"""Mails that can never be sent are recorded as failed, with the reason.

Revision ID: enrollment_0012
Revises: enrollment_0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrollment_0012"
down_revision: str | None = "enrollment_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("mail_deliveries", sa.Column("error", sa.String(), nullable=True), schema="enrollment")


def downgrade() -> None:
    op.drop_column("mail_deliveries", "error", schema="enrollment")

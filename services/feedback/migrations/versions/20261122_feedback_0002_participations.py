"""Participants keyed by participation (one person in one session), since a group enrolment holds many.

Existing rows keep their key: the enrolment service migrated each old enrolment to a participation with
the same id.

Revision ID: feedback_0002
Revises: feedback_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feedback_0002"
down_revision: str | None = "feedback_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("participants", "enrollment_id", new_column_name="participation_id", schema="feedback")
    op.add_column("participants", sa.Column("enrollment_id", sa.Uuid(), nullable=True), schema="feedback")
    op.execute("UPDATE feedback.participants SET enrollment_id = participation_id")
    op.alter_column("participants", "enrollment_id", nullable=False, schema="feedback")


def downgrade() -> None:
    op.drop_column("participants", "enrollment_id", schema="feedback")
    op.alter_column("participants", "participation_id", new_column_name="enrollment_id", schema="feedback")

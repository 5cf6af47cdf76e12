"""The session read model keeps the room and the meeting link, for "my enrollments".

Revision ID: enrollment_0010
Revises: enrollment_0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrollment_0010"
down_revision: str | None = "enrollment_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("room", sa.String(), nullable=True), schema="enrollment")
    op.add_column("sessions", sa.Column("meeting_url", sa.String(), nullable=True), schema="enrollment")


def downgrade() -> None:
    op.drop_column("sessions", "meeting_url", schema="enrollment")
    op.drop_column("sessions", "room", schema="enrollment")

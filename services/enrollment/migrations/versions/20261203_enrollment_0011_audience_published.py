"""The audience facts last published for each person, so a directory change publishes only what changed.

Revision ID: enrollment_0011
Revises: enrollment_0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "enrollment_0011"
down_revision: str | None = "enrollment_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audience_published",
        sa.Column("person_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("facts", JSONB(), nullable=False),
        schema="enrollment",
    )


def downgrade() -> None:
    op.drop_table("audience_published", schema="enrollment")

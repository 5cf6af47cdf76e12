"""Erasures: who ordered which, and the old identifiers until every service has acted on it.

Revision ID: enrollment_0017
Revises: enrollment_0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrollment_0017"
down_revision: str | None = "enrollment_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("new_person_id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("ordered_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("old_person_id", sa.Uuid(), nullable=True),
        sa.Column("old_oid", sa.String(length=64), nullable=True),
        sa.Column("scrubbed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        schema="enrollment",
    )
    op.create_index(
        "ix_erasures_unscrubbed",
        "erasures",
        ["ordered_at"],
        schema="enrollment",
        postgresql_where=sa.text("scrubbed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_erasures_unscrubbed", table_name="erasures", schema="enrollment")
    op.drop_table("erasures", schema="enrollment")

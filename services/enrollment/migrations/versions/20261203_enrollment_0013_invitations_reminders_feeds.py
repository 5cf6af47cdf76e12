"""Calendar invitations, reminders and personal feeds; each person's language.

- `people.language`: the language mails are written in (`nb` or `en`), as HR sends it.
- `sessions.position`: a programme session's number, for "samling 3 av 6" in invitations.
- `offerings.reminders_enabled`: coordinators turn reminders off per offering (owned here).
- `calendar_sequences`: the SEQUENCE each person's calendar last got for a session, so every invitation
  or cancellation a person receives supersedes the one before.
- `session_reminders`: one row per person and session reminded: a reminder is sent once.
- `calendar_feeds`: personal subscription URLs, the secret stored as its SHA-256.

Revision ID: enrollment_0013
Revises: enrollment_0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrollment_0013"
down_revision: str | None = "enrollment_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "people",
        sa.Column("language", sa.String(), nullable=False, server_default="nb"),
        schema="enrollment",
    )
    op.add_column("sessions", sa.Column("position", sa.Integer(), nullable=True), schema="enrollment")
    op.add_column(
        "offerings",
        sa.Column("reminders_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        schema="enrollment",
    )
    op.create_table(
        "calendar_sequences",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("catalog_sequence", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "session_id", name="pk_calendar_sequences"),
        schema="enrollment",
    )
    op.create_table(
        "session_reminders",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "person_id", name="pk_session_reminders"),
        schema="enrollment",
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["enrollment.people.id"], name="fk_calendar_feeds_person_id_people"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("secret_hash", name="uq_calendar_feeds_secret_hash"),
        schema="enrollment",
    )
    op.create_index("ix_calendar_feeds_person_id", "calendar_feeds", ["person_id"], schema="enrollment")


def downgrade() -> None:
    op.drop_index("ix_calendar_feeds_person_id", table_name="calendar_feeds", schema="enrollment")
    op.drop_table("calendar_feeds", schema="enrollment")
    op.drop_table("session_reminders", schema="enrollment")
    op.drop_table("calendar_sequences", schema="enrollment")
    op.drop_column("offerings", "reminders_enabled", schema="enrollment")
    op.drop_column("sessions", "position", schema="enrollment")
    op.drop_column("people", "language", schema="enrollment")

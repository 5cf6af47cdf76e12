"""Coaching on request: coaches, requests with their history, and the sessions booked for them.

- `offerings.on_request`: the catalogue's offering is arranged on request (its kind needs no dated
  sessions); nobody enrolls in it directly.
- `coaches`: internal or external, capacity per term (half-year), an optional sign-in.
- `coaching_requests`: one open per leader and offering; note and preferred times.
- `coaching_request_changes`: every change of state or coach, by whom and when.
- `coaching_sessions`: the one-to-one sessions booked for a request and the enrollment holding each.

Revision ID: enrollment_0014
Revises: enrollment_0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "enrollment_0014"
down_revision: str | None = "enrollment_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "offerings",
        sa.Column("on_request", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema="enrollment",
    )
    # Offerings the catalogue published before it said so: coaching is the kind arranged on request.
    op.execute("UPDATE enrollment.offerings SET on_request = true WHERE kind_code = 'coaching'")
    op.create_table(
        "coaches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("entra_oid", sa.String(length=64), nullable=True),
        sa.Column("capacity_per_term", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(), server_default="nb", nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("capacity_per_term >= 0", name=op.f("ck_coaches_capacity_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaches")),
        sa.UniqueConstraint("entra_oid", name=op.f("uq_coaches_entra_oid")),
        schema="enrollment",
    )
    op.create_table(
        "coaching_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("preferred_times", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=True),
        sa.Column("term", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["enrollment.coaches.id"], name=op.f("fk_coaching_requests_coach_id_coaches")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["enrollment.people.id"], name=op.f("fk_coaching_requests_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_requests")),
        schema="enrollment",
    )
    for column in ("offering_id", "person_id", "state", "coach_id"):
        op.create_index(
            op.f(f"ix_coaching_requests_{column}"), "coaching_requests", [column], schema="enrollment"
        )
    op.create_index(
        "uq_coaching_requests_open",
        "coaching_requests",
        ["person_id", "offering_id"],
        unique=True,
        schema="enrollment",
        postgresql_where=sa.text("state IN ('requested', 'assigned', 'scheduled')"),
    )
    op.create_table(
        "coaching_request_changes",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=False),
        sa.Column("actor_oid", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("details", JSONB(), server_default="{}", nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["enrollment.coaching_requests.id"],
            name=op.f("fk_coaching_request_changes_request_id_coaching_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_request_changes")),
        schema="enrollment",
    )
    op.create_index(
        op.f("ix_coaching_request_changes_request_id"),
        "coaching_request_changes",
        ["request_id"],
        schema="enrollment",
    )
    op.create_table(
        "coaching_sessions",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.enrollments.id"],
            name=op.f("fk_coaching_sessions_enrollment_id_enrollments"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["enrollment.coaching_requests.id"],
            name=op.f("fk_coaching_sessions_request_id_coaching_requests"),
        ),
        sa.PrimaryKeyConstraint("request_id", "session_id", name=op.f("pk_coaching_sessions")),
        sa.UniqueConstraint("session_id", name=op.f("uq_coaching_sessions_session_id")),
        schema="enrollment",
    )


def downgrade() -> None:
    op.drop_table("coaching_sessions", schema="enrollment")
    op.drop_table("coaching_request_changes", schema="enrollment")
    op.drop_table("coaching_requests", schema="enrollment")
    op.drop_table("coaches", schema="enrollment")
    op.drop_column("offerings", "on_request", schema="enrollment")

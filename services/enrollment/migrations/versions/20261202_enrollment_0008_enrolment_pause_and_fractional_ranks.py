"""A session's enrolment can be paused (who, when, why); waiting-list ranks are numeric, so moving one entry
writes only that entry (its rank goes between its new neighbours'); an idempotency claim names the process
holding it (services.kernel.presence), so a claim whose process died is taken over at once.

Revision ID: enrollment_0008
Revises: enrollment_0007
Create Date: 2026-12-02 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrollment_0008"
down_revision: str | None = "enrollment_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "idempotency_keys", sa.Column("holder_pid", sa.Integer(), nullable=True), schema="enrollment"
    )
    op.add_column(
        "idempotency_keys",
        sa.Column("holder_started", sa.DateTime(timezone=True), nullable=True),
        schema="enrollment",
    )
    op.add_column(
        "sessions",
        sa.Column("enrolment_paused_at", sa.DateTime(timezone=True), nullable=True),
        schema="enrollment",
    )
    op.add_column(
        "sessions", sa.Column("enrolment_paused_by_oid", sa.String(), nullable=True), schema="enrollment"
    )
    op.add_column(
        "sessions", sa.Column("enrolment_pause_reason", sa.String(), nullable=True), schema="enrollment"
    )
    op.alter_column(
        "enrollments",
        "queue_rank",
        type_=sa.Numeric(),
        existing_type=sa.BigInteger(),
        existing_nullable=False,
        postgresql_using="queue_rank::numeric",
        schema="enrollment",
    )


def downgrade() -> None:
    # Ranks between two integers are spread back over whole numbers in their order.
    op.execute(
        "UPDATE enrollment.enrollments e SET queue_rank = r.n FROM "
        "(SELECT id, row_number() OVER (ORDER BY queue_rank, id) AS n FROM enrollment.enrollments) r "
        "WHERE r.id = e.id AND e.queue_rank <> trunc(e.queue_rank)"
    )
    op.alter_column(
        "enrollments",
        "queue_rank",
        type_=sa.BigInteger(),
        existing_type=sa.Numeric(),
        existing_nullable=False,
        postgresql_using="queue_rank::bigint",
        schema="enrollment",
    )
    op.drop_column("idempotency_keys", "holder_started", schema="enrollment")
    op.drop_column("idempotency_keys", "holder_pid", schema="enrollment")
    op.drop_column("sessions", "enrolment_pause_reason", schema="enrollment")
    op.drop_column("sessions", "enrolment_paused_by_oid", schema="enrollment")
    op.drop_column("sessions", "enrolment_paused_at", schema="enrollment")

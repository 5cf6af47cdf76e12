"""Enrolments of people and leader groups with waiting lists, their participations, audit, attendance,
completions and their feed, idempotency keys, mail deliveries, and the offering read model.

Existing enrolments are kept: each becomes a one-person enrolment with one participation, whose id is
the enrolment's (the feedback service keyed its participants by that id).

Revision ID: enrollment_0006
Revises: enrollment_0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.kernel.eventbus.tables import Xid8

revision: str = "enrollment_0006"
down_revision: str | None = "enrollment_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "enrollment"


def upgrade() -> None:
    op.create_table(
        "offerings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind_code", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("audience", sa.String(), nullable=False),
        sa.Column("audience_org_unit_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        sa.Column("booking_unit", sa.String(), nullable=False),
        sa.Column("is_programme", sa.Boolean(), nullable=False),
        sa.Column("completion_min_sessions", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("offering_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_offerings"),
        schema=S,
    )

    op.execute("CREATE SEQUENCE enrollment.enrollment_queue_rank")
    op.drop_index("uq_enrollments_session_id_person_id_active", table_name="enrollments", schema=S)
    op.add_column("enrollments", sa.Column("offering_id", sa.Uuid(), nullable=True), schema=S)
    op.execute(
        "UPDATE enrollment.enrollments e SET offering_id = s.offering_id "
        "FROM enrollment.sessions s WHERE s.id = e.session_id"
    )
    op.alter_column("enrollments", "offering_id", nullable=False, schema=S)
    op.alter_column("enrollments", "session_id", nullable=True, schema=S)
    op.alter_column("enrollments", "person_id", nullable=True, schema=S)
    for column in (
        sa.Column("kind", sa.String(), server_default="person", nullable=False),
        sa.Column("leader_group_id", sa.Uuid(), nullable=True),
        sa.Column("booking_unit", sa.String(), server_default="person", nullable=False),
        sa.Column("audience_checked", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "queue_rank",
            sa.BigInteger(),
            server_default=sa.text("nextval('enrollment.enrollment_queue_rank')"),
            nullable=False,
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
    ):
        op.add_column("enrollments", column, schema=S)
    op.execute("UPDATE enrollment.enrollments SET confirmed_at = created_at WHERE status = 'confirmed'")
    op.create_foreign_key(
        "fk_enrollments_leader_group_id_leader_groups",
        "enrollments",
        "leader_groups",
        ["leader_group_id"],
        ["id"],
        source_schema=S,
        referent_schema=S,
    )
    op.create_check_constraint(
        "kind_matches_target",
        "enrollments",
        "(kind = 'person' AND person_id IS NOT NULL AND leader_group_id IS NULL) OR "
        "(kind = 'group' AND leader_group_id IS NOT NULL AND person_id IS NULL)",
        schema=S,
    )
    op.create_check_constraint("seats_not_negative", "enrollments", "seats >= 0", schema=S)
    op.create_index(
        "ix_enrollments_queue",
        "enrollments",
        ["offering_id", "session_id", "status", "queue_rank"],
        schema=S,
    )
    op.create_index("ix_enrollments_offering_id", "enrollments", ["offering_id"], schema=S)
    op.create_index("ix_enrollments_leader_group_id", "enrollments", ["leader_group_id"], schema=S)

    op.create_table(
        "participations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attendance", sa.String(), nullable=True),
        sa.Column("attendance_marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attendance_marked_by_oid", sa.String(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.enrollments.id"],
            name="fk_participations_enrollment_id_enrollments",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["enrollment.people.id"], name="fk_participations_person_id_people"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["enrollment.sessions.id"], name="fk_participations_session_id_sessions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_participations"),
        schema=S,
    )
    for name in ("enrollment_id", "session_id", "person_id"):
        op.create_index(f"ix_participations_{name}", "participations", [name], schema=S)
    op.create_index(
        "uq_participations_session_id_person_id_active",
        "participations",
        ["session_id", "person_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"),
    )
    op.execute(
        "INSERT INTO enrollment.participations "
        "(id, enrollment_id, session_id, person_id, status, cancelled_at, cancel_reason, created_at) "
        "SELECT id, id, session_id, person_id, status, cancelled_at, cancel_reason, created_at "
        "FROM enrollment.enrollments"
    )

    op.create_table(
        "enrollment_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("actor_oid", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.enrollments.id"],
            name="fk_enrollment_audit_enrollment_id_enrollments",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_enrollment_audit"),
        schema=S,
    )
    op.create_index("ix_enrollment_audit_enrollment_id", "enrollment_audit", ["enrollment_id"], schema=S)

    op.create_table(
        "completions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attended_sessions", sa.Integer(), nullable=False),
        sa.Column("required_sessions", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_oid", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["enrollment.people.id"], name="fk_completions_person_id_people"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_completions"),
        schema=S,
    )
    op.create_index("ix_completions_person_id", "completions", ["person_id"], schema=S)
    op.create_index("ix_completions_offering_id", "completions", ["offering_id"], schema=S)
    op.create_index(
        "uq_completions_person_id_offering_id_completed",
        "completions",
        ["person_id", "offering_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status = 'completed'"),
    )
    op.create_table(
        "completion_feed",
        sa.Column("position", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("xid", Xid8(), server_default=sa.text("pg_current_xact_id()"), nullable=False),
        sa.Column("completion_id", sa.Uuid(), nullable=False),
        sa.Column("change", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_completion_feed"),
        schema=S,
    )
    op.create_index("ix_completion_feed_xid_position", "completion_feed", ["xid", "position"], schema=S)

    op.create_table(
        "idempotency_keys",
        sa.Column("owner_oid", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("owner_oid", "route", "key", name="pk_idempotency_keys"),
        schema=S,
    )
    op.create_table(
        "mail_deliveries",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("recipient_person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_mail_deliveries"),
        schema=S,
    )


def downgrade() -> None:
    for table in (
        "mail_deliveries",
        "idempotency_keys",
        "completion_feed",
        "completions",
        "enrollment_audit",
    ):
        op.drop_table(table, schema=S)
    # Group enrolments and programme enrolments have no shape in the old model: they are dropped.
    op.execute(
        "DELETE FROM enrollment.participations WHERE enrollment_id IN "
        "(SELECT id FROM enrollment.enrollments WHERE kind = 'group' OR session_id IS NULL)"
    )
    op.execute("DELETE FROM enrollment.enrollments WHERE kind = 'group' OR session_id IS NULL")
    op.drop_table("participations", schema=S)
    op.drop_index("ix_enrollments_leader_group_id", table_name="enrollments", schema=S)
    op.drop_index("ix_enrollments_offering_id", table_name="enrollments", schema=S)
    op.drop_index("ix_enrollments_queue", table_name="enrollments", schema=S)
    op.drop_constraint("ck_enrollments_seats_not_negative", "enrollments", schema=S)
    op.drop_constraint("ck_enrollments_kind_matches_target", "enrollments", schema=S)
    op.drop_constraint("fk_enrollments_leader_group_id_leader_groups", "enrollments", schema=S)
    op.execute("UPDATE enrollment.enrollments SET status = 'cancelled' WHERE status = 'waitlisted'")
    for column in (
        "version",
        "confirmed_at",
        "queue_rank",
        "audience_checked",
        "booking_unit",
        "leader_group_id",
        "kind",
        "offering_id",
    ):
        op.drop_column("enrollments", column, schema=S)
    op.alter_column("enrollments", "person_id", nullable=False, schema=S)
    op.alter_column("enrollments", "session_id", nullable=False, schema=S)
    op.create_index(
        "uq_enrollments_session_id_person_id_active",
        "enrollments",
        ["session_id", "person_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status = 'confirmed'"),
    )
    op.execute("DROP SEQUENCE enrollment.enrollment_queue_rank")
    op.drop_table("offerings", schema=S)

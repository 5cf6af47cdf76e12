"""One spelling across the API: the session read model's enrollment columns say `enrollment`.

The API was not yet released; its fields, paths, problem types and events were renamed with these.

Revision ID: enrollment_0009
Revises: enrollment_0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "enrollment_0009"
down_revision: str | None = "enrollment_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("enrolment_opens_at", "enrollment_opens_at"),
    ("enrolment_closes_at", "enrollment_closes_at"),
    ("enrolment_paused_at", "enrollment_paused_at"),
    ("enrolment_paused_by_oid", "enrollment_paused_by_oid"),
    ("enrolment_pause_reason", "enrollment_pause_reason"),
)


def upgrade() -> None:
    for old, new in COLUMNS:
        op.alter_column("sessions", old, new_column_name=new, schema="enrollment")


def downgrade() -> None:
    for old, new in COLUMNS:
        op.alter_column("sessions", new, new_column_name=old, schema="enrollment")

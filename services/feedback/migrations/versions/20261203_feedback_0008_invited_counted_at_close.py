"""How many a survey invited, kept on the survey when it closes: its invitations go a year after.

Revision ID: feedback_0008
Revises: feedback_0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feedback_0008"
down_revision: str | None = "feedback_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("surveys", sa.Column("invited", sa.Integer(), nullable=True), schema="feedback")
    op.execute(
        """
        UPDATE feedback.surveys s SET invited = (
            SELECT count(*) FROM feedback.invitations i WHERE i.survey_id = s.id AND NOT i.withdrawn)
        WHERE s.status = 'closed'
        """
    )


def downgrade() -> None:
    op.drop_column("surveys", "invited", schema="feedback")

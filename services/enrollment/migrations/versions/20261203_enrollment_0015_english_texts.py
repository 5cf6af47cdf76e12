"""English texts in the read models: the offering's English title and the session's description in both
languages, for mails and calendars in the person's language.

Revision ID: enrollment_0015
Revises: enrollment_0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrollment_0015"
down_revision: str | None = "enrollment_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("offerings", "title_en"),
    ("sessions", "offering_title_en"),
    ("sessions", "description"),
    ("sessions", "description_en"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.String(), nullable=True), schema="enrollment")


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column, schema="enrollment")

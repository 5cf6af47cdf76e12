"""Events carry the W3C `traceparent` of the request or event that published them.

Revision ID: eventbus_0002
Revises: eventbus_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "eventbus_0002"
down_revision: str | None = "eventbus_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("traceparent", sa.Text(), nullable=True), schema="eventbus")


def downgrade() -> None:
    op.drop_column("events", "traceparent", schema="eventbus")

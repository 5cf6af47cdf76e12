"""The title's words on their own, for ranking: a title match is checked on a small vector rather than
on the whole offering's with the query restricted to the title's weight.

Revision ID: catalog_0007
Revises: catalog_0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision: str = "catalog_0007"
down_revision: str | None = "catalog_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TITLE = {
    "title_words": "to_tsvector('norwegian', catalog.search_fold(coalesce(title, '')))",
    "title_parts": "to_tsvector('catalog.nb_parts', catalog.search_fold(coalesce(title, '')))",
}


def upgrade() -> None:
    for column, expression in TITLE.items():
        op.add_column(
            "offerings",
            sa.Column(column, TSVECTOR(), sa.Computed(expression, persisted=True), nullable=True),
            schema="catalog",
        )


def downgrade() -> None:
    for column in TITLE:
        op.drop_column("offerings", column, schema="catalog")

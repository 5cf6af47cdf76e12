"""English texts beside the bokmål ones, searched with them.

- `offerings.title_en`, `summary_en`, `description_en`, `offering_kinds.description_en`: the English
  versions, null where none was written.
- `sessions.description` and `description_en`: what one session of an offering is about.
- The search columns take the English texts into the same weights as the bokmål ones (title A, summary
  B, description C), so a search finds an offering by either language's words.

Revision ID: catalog_0009
Revises: catalog_0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision: str = "catalog_0009"
down_revision: str | None = "catalog_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _both(field: str, english: bool) -> str:
    return (
        f"coalesce({field}, '') || ' ' || coalesce({field}_en, '')" if english else f"coalesce({field}, '')"
    )


def _columns(english: bool) -> dict[str, str]:
    title, summary, description = (_both(f, english) for f in ("title", "summary", "description"))

    def fields(config: str) -> str:
        return (
            f"setweight(to_tsvector('{config}', catalog.search_fold({title})), 'A') || "
            f"setweight(to_tsvector('{config}', "
            f"catalog.search_fold({summary} || ' ' || coalesce(search_labels, ''))), 'B') || "
            f"setweight(to_tsvector('{config}', catalog.search_fold({description})), 'C')"
        )

    return {
        "search_vector": fields("norwegian"),
        "search_parts": fields("catalog.nb_parts"),
        "title_words": f"to_tsvector('norwegian', catalog.search_fold({title}))",
        "title_parts": f"to_tsvector('catalog.nb_parts', catalog.search_fold({title}))",
    }


INDEXED = ("search_vector", "search_parts")
ENGLISH = ("title_en", "summary_en", "description_en")


def _rebuild_search_columns(english: bool) -> None:
    """Generated columns cannot change their expression in place: drop them with what depends on them
    (their indexes and the word-list triggers) and add them again, computed from the texts."""
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER remember_search_words_{event} ON catalog.offerings")
    for column in INDEXED:
        op.drop_index(f"ix_offerings_{column}", table_name="offerings", schema="catalog")
    for column in _columns(english):
        op.drop_column("offerings", column, schema="catalog")
    for column, expression in _columns(english).items():
        op.add_column(
            "offerings",
            sa.Column(column, TSVECTOR(), sa.Computed(expression, persisted=True), nullable=True),
            schema="catalog",
        )
    for column in INDEXED:
        op.create_index(
            f"ix_offerings_{column}", "offerings", [column], schema="catalog", postgresql_using="gin"
        )
    op.execute(
        "CREATE TRIGGER remember_search_words_insert AFTER INSERT ON catalog.offerings "
        "FOR EACH ROW EXECUTE FUNCTION catalog.remember_search_words()"
    )
    op.execute(
        "CREATE TRIGGER remember_search_words_update AFTER UPDATE ON catalog.offerings "
        "FOR EACH ROW WHEN (OLD.search_parts IS DISTINCT FROM NEW.search_parts) "
        "EXECUTE FUNCTION catalog.remember_search_words()"
    )
    # The English words join the word list the query terms are widened from.
    op.execute(
        """
        INSERT INTO catalog.search_words (word)
        SELECT DISTINCT w FROM catalog.offerings, unnest(tsvector_to_array(search_parts)) AS w
        WHERE length(w) >= 3 AND w ~ '[[:alpha:]]'
        ORDER BY w
        ON CONFLICT DO NOTHING
        """
    )


def upgrade() -> None:
    for column in ENGLISH:
        op.add_column("offerings", sa.Column(column, sa.String(), nullable=True), schema="catalog")
    op.add_column("offering_kinds", sa.Column("description_en", sa.String(), nullable=True), schema="catalog")
    for column in ("description", "description_en"):
        op.add_column("sessions", sa.Column(column, sa.String(), nullable=True), schema="catalog")
    _rebuild_search_columns(english=True)


def downgrade() -> None:
    _rebuild_search_columns(english=False)
    for column in ("description", "description_en"):
        op.drop_column("sessions", column, schema="catalog")
    op.drop_column("offering_kinds", "description_en", schema="catalog")
    for column in ENGLISH:
        op.drop_column("offerings", column, schema="catalog")

"""Compound words in the query too: "lederteam" also searches for "leder" and "team" together, and
"endringsledelse" for "endring" and "ledelse", when the offerings use those words.

- `catalog.search_alternatives(term)`: the words a term is widened to (as `search_parts_query` did
  inline): itself, the words with its stem, those it resembles at either end, those it stands inside of.
- `catalog.search_known(word)`: whether the offerings use the word or a word with its stem.
- `catalog.search_split(term)`: a term of seven letters or more as two known words, the longest first
  part first, allowing the linking -s- or -e- of Norwegian compounds ("endrings|ledelse").
- `catalog.search_parts_query` adds the split as a further alternative: (the term's words) or (the first
  part's words and the second part's words).

Revision ID: catalog_0008
Revises: catalog_0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0008"
down_revision: str | None = "catalog_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The pattern for the words a term stands inside of: the term with LIKE's wildcards escaped.
INSIDE = r"'%' || replace(replace(replace(term, '\', '\\'), '%', '\%'), '_', '\_') || '%'"

PARTS_QUERY = """
    CREATE OR REPLACE FUNCTION catalog.search_parts_query(query text) RETURNS tsquery
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, {trgm}
    AS $$
    DECLARE
        folded text := catalog.search_fold(query);
        result tsquery := websearch_to_tsquery('catalog.nb_parts', folded);
        term text;
        substitute text;
        parts text[];
    BEGIN
        FOR term IN SELECT unnest(tsvector_to_array(to_tsvector('catalog.nb_parts', folded))) LOOP
            substitute := catalog.search_alternatives(term);
            parts := catalog.search_split(term);
            IF parts IS NOT NULL THEN
                substitute := '(' || substitute || ') | ((' || catalog.search_alternatives(parts[1])
                              || ') & (' || catalog.search_alternatives(parts[2]) || '))';
            END IF;
            result := ts_rewrite(result, catalog.search_lexeme(term)::tsquery, substitute::tsquery);
        END LOOP;
        RETURN result;
    END
    $$
"""
# As catalog_0006 made it, for the downgrade.
OLD_PARTS_QUERY = """
    CREATE OR REPLACE FUNCTION catalog.search_parts_query(query text) RETURNS tsquery
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, {trgm}
    AS $$
    DECLARE
        folded text := catalog.search_fold(query);
        result tsquery := websearch_to_tsquery('catalog.nb_parts', folded);
        term text;
        alternatives text;
    BEGIN
        FOR term IN SELECT unnest(tsvector_to_array(to_tsvector('catalog.nb_parts', folded))) LOOP
            SELECT string_agg(catalog.search_lexeme(w.word), ' | ' ORDER BY w.word) INTO alternatives
            FROM catalog.search_words w
            WHERE w.word <> term
              AND (w.stem = (ts_lexize('norwegian_stem', term))[1]
                   OR (length(term) >= 3 AND term <% w.word)
                   OR (length(term) >= 4 AND w.word LIKE {inside}));
            IF alternatives IS NOT NULL THEN
                result := ts_rewrite(result, catalog.search_lexeme(term)::tsquery,
                                     (catalog.search_lexeme(term) || ' | ' || alternatives)::tsquery);
            END IF;
        END LOOP;
        RETURN result;
    END
    $$
"""


def _trgm_schema() -> str:
    schema = op.get_bind().scalar(
        sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    )
    return str(schema)


def upgrade() -> None:
    trgm = _trgm_schema()
    op.execute(
        f"""
        CREATE FUNCTION catalog.search_alternatives(term text) RETURNS text
        LANGUAGE sql STABLE PARALLEL SAFE
        SET search_path = pg_catalog, {trgm}
        RETURN (
            SELECT string_agg(catalog.search_lexeme(a.word), ' | ' ORDER BY a.word)
            FROM (SELECT term AS word
                  UNION
                  SELECT w.word FROM catalog.search_words w
                  WHERE w.stem = (ts_lexize('norwegian_stem', term))[1]
                     OR (length(term) >= 3 AND term <% w.word)
                     OR (length(term) >= 4 AND w.word LIKE {INSIDE})) AS a
        )
        """  # noqa: S608 - the schema name comes from pg_extension
    )
    op.execute(
        """
        CREATE FUNCTION catalog.search_known(word text) RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN EXISTS (SELECT 1 FROM catalog.search_words w
                       WHERE w.word = search_known.word
                          OR w.stem = (ts_lexize('norwegian_stem', search_known.word))[1])
        """
    )
    op.execute(
        """
        CREATE FUNCTION catalog.search_split(term text) RETURNS text[]
        LANGUAGE plpgsql STABLE PARALLEL SAFE
        AS $$
        DECLARE
            head text;
            tail text;
        BEGIN
            IF length(term) < 7 THEN
                RETURN NULL;
            END IF;
            FOR i IN REVERSE length(term) - 3 .. 3 LOOP
                head := left(term, i);
                tail := substr(term, i + 1);
                CONTINUE WHEN NOT catalog.search_known(tail);
                IF catalog.search_known(head) THEN
                    RETURN ARRAY[head, tail];
                END IF;
                IF right(head, 1) IN ('s', 'e') AND length(head) > 3 AND catalog.search_known(left(head, -1)) THEN
                    RETURN ARRAY[left(head, -1), tail];
                END IF;
            END LOOP;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(PARTS_QUERY.format(trgm=trgm))


def downgrade() -> None:
    op.execute(OLD_PARTS_QUERY.format(trgm=_trgm_schema(), inside=INSIDE))
    op.execute("DROP FUNCTION catalog.search_split(text)")
    op.execute("DROP FUNCTION catalog.search_known(text)")
    op.execute("DROP FUNCTION catalog.search_alternatives(text)")

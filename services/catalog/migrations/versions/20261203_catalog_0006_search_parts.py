"""Search that finds the parts of Norwegian compound words, forgives a typo and folds æ/ø/å.

- `catalog.search_fold(text)`: lower case, accents off with `unaccent` (æ → ae, ø → o, å → a), and the
  common substitutes folded the same way (aa → a, oe → o), so "krisehaandtering" meets "Krisehåndtering".
- `search_vector`: Norwegian stemming over the folded title (A), summary with the kind's and themes' names
  in both languages (B) and description (C): whole words and their inflections.
- `search_parts`: the same folded words unstemmed (`catalog.nb_parts`: the simple parser with Norwegian
  stop words), the material for parts of words.
- `catalog.search_words`: every word the offerings use, with a trigram index (`pg_trgm`). A query term is
  widened to the words it is a part, a prefix or a near miss of (`catalog.search_parts_query`), so
  "refleksjon" searches for "refleksjonsgrupper" as well.
- `last_free_session_at`: the start of the offering's last scheduled session with a free seat, kept by a
  trigger on sessions; "has an upcoming session with free seats" is then `last_free_session_at > now()`.

Revision ID: catalog_0006
Revises: catalog_0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision: str = "catalog_0006"
down_revision: str | None = "catalog_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fields(config: str) -> str:
    return (
        f"setweight(to_tsvector('{config}', catalog.search_fold(coalesce(title, ''))), 'A') || "
        f"setweight(to_tsvector('{config}', "
        f"catalog.search_fold(coalesce(summary, '') || ' ' || coalesce(search_labels, ''))), 'B') || "
        f"setweight(to_tsvector('{config}', catalog.search_fold(coalesce(description, ''))), 'C')"
    )


SEARCH_VECTOR_SQL = _fields("norwegian")
SEARCH_PARTS_SQL = _fields("catalog.nb_parts")
OLD_SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('norwegian', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('norwegian', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('norwegian', coalesce(description, '')), 'C')"
)
STEM_SQL = "(ts_lexize('norwegian_stem', word))[1]"
TOKENS = "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart"


def _extension_schema(name: str) -> str:
    """Create the extension where the database keeps its extensions (public) unless it is already
    there, and answer the schema it lives in, for the qualified names below."""
    op.execute(f"CREATE EXTENSION IF NOT EXISTS {name} SCHEMA public")
    schema = op.get_bind().scalar(
        sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = :name"),
        {"name": name},
    )
    return str(schema)


def upgrade() -> None:
    trgm = _extension_schema("pg_trgm")
    unaccent = _extension_schema("unaccent")
    op.execute(
        f"""
        CREATE FUNCTION catalog.search_fold(value text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        RETURN replace(replace({unaccent}.unaccent('{unaccent}.unaccent'::regdictionary, lower(value)),
                               'aa', 'a'), 'oe', 'o')
        """
    )
    op.execute(
        "CREATE TEXT SEARCH DICTIONARY catalog.nb_words (TEMPLATE = pg_catalog.simple, STOPWORDS = norwegian)"
    )
    op.execute("CREATE TEXT SEARCH CONFIGURATION catalog.nb_parts (COPY = pg_catalog.simple)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION catalog.nb_parts ALTER MAPPING FOR {TOKENS} WITH catalog.nb_words"
    )
    op.execute(
        """
        CREATE FUNCTION catalog.search_lexeme(word text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        RETURN '''' || replace(replace(word, '\\', '\\\\'), '''', '''''') || ''''
        """
    )
    op.create_table(
        "search_words",
        sa.Column("word", sa.String(), nullable=False),
        sa.Column("stem", sa.String(), sa.Computed(STEM_SQL, persisted=True), nullable=True),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_words")),
        schema="catalog",
    )
    op.create_index("ix_search_words_stem", "search_words", ["stem"], schema="catalog")
    op.execute(
        f"CREATE INDEX ix_search_words_word_trgm ON catalog.search_words USING gin (word {trgm}.gin_trgm_ops)"
    )
    # A term is widened to the words with its Norwegian stem (its inflections, as the stemmed vector would
    # match them), from three letters to the words it resembles as a whole or at either end (trigram word
    # similarity: prefixes, typos, a compound's first or last part), and from four letters to the words it
    # is inside of (a compound's middle part). Each term keeps itself as an alternative. So the widened
    # query matches wherever the stemmed one does, and exclusions (-word) exclude the widened words too.
    op.execute(
        f"""
        CREATE FUNCTION catalog.search_parts_query(query text) RETURNS tsquery
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
                       OR (length(term) >= 4
                           AND w.word LIKE '%' || replace(replace(replace(term, '\\', '\\\\'), '%', '\\%'),
                                                          '_', '\\_') || '%'));
                IF alternatives IS NOT NULL THEN
                    result := ts_rewrite(result, catalog.search_lexeme(term)::tsquery,
                                         (catalog.search_lexeme(term) || ' | ' || alternatives)::tsquery);
                END IF;
            END LOOP;
            RETURN result;
        END
        $$
        """  # noqa: S608 - the schema name comes from pg_extension
    )
    # The names of the offering's kind and themes in both languages, searched with the summary.
    op.execute(
        """
        CREATE FUNCTION catalog.search_labels(offering uuid) RETURNS text
        LANGUAGE sql STABLE PARALLEL SAFE
        RETURN (SELECT concat_ws(' ', k.name_nb, k.name_en,
                                 (SELECT string_agg(t.name_nb || ' ' || t.name_en, ' ' ORDER BY t.code)
                                  FROM catalog.offering_themes ot JOIN catalog.themes t ON t.code = ot.theme_code
                                  WHERE ot.offering_id = o.id))
                FROM catalog.offerings o JOIN catalog.offering_kinds k ON k.code = o.kind_code
                WHERE o.id = offering)
        """
    )
    op.add_column(
        "offerings",
        sa.Column("search_labels", sa.String(), server_default=sa.text("''"), nullable=False),
        schema="catalog",
    )
    op.add_column(
        "offerings",
        sa.Column("last_free_session_at", sa.DateTime(timezone=True), nullable=True),
        schema="catalog",
    )
    op.drop_index("ix_offerings_search_vector", table_name="offerings", schema="catalog")
    op.drop_column("offerings", "search_vector", schema="catalog")
    for column, expression in (("search_vector", SEARCH_VECTOR_SQL), ("search_parts", SEARCH_PARTS_SQL)):
        op.add_column(
            "offerings",
            sa.Column(column, TSVECTOR(), sa.Computed(expression, persisted=True), nullable=True),
            schema="catalog",
        )
        op.create_index(
            f"ix_offerings_{column}", "offerings", [column], schema="catalog", postgresql_using="gin"
        )
    # Every word an offering uses, in word order so that two writers adding the same new words wait for
    # each other instead of deadlocking.
    op.execute(
        """
        CREATE FUNCTION catalog.remember_search_words() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO catalog.search_words (word)
            SELECT DISTINCT w FROM unnest(tsvector_to_array(NEW.search_parts)) AS w
            WHERE length(w) >= 3 AND w ~ '[[:alpha:]]'
            ORDER BY w
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
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
    # Sessions change seats, status and times from several places (the seat events, coordinators, bulk
    # loads); the trigger keeps the offering's column right for all of them. It writes the offering only
    # when the value changes, after the session: the catalogue's lock order (sessions, then offering).
    op.execute(
        """
        CREATE FUNCTION catalog.note_free_seats() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE catalog.offerings o SET last_free_session_at = f.at
            FROM (SELECT c.offering_id,
                         (SELECT max(s.starts_at) FROM catalog.sessions s
                          WHERE s.offering_id = c.offering_id AND s.status = 'scheduled'
                            AND s.seats_taken < s.capacity) AS at
                  FROM (SELECT DISTINCT offering_id FROM changed ORDER BY offering_id) c) f
            WHERE o.id = f.offering_id AND o.last_free_session_at IS DISTINCT FROM f.at;
            RETURN NULL;
        END
        $$
        """
    )
    for event, table in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        op.execute(
            f"""
            CREATE TRIGGER note_free_seats_{event.lower()} AFTER {event} ON catalog.sessions
            REFERENCING {table} TABLE AS changed FOR EACH STATEMENT
            EXECUTE FUNCTION catalog.note_free_seats()
            """
        )
    op.execute("UPDATE catalog.offerings SET search_labels = coalesce(catalog.search_labels(id), '')")
    op.execute(
        """
        UPDATE catalog.offerings o SET last_free_session_at = (
            SELECT max(s.starts_at) FROM catalog.sessions s
            WHERE s.offering_id = o.id AND s.status = 'scheduled' AND s.seats_taken < s.capacity)
        """
    )


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER note_free_seats_{event} ON catalog.sessions")
    op.execute("DROP FUNCTION catalog.note_free_seats()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER remember_search_words_{event} ON catalog.offerings")
    op.execute("DROP FUNCTION catalog.remember_search_words()")
    for column in ("search_parts", "search_vector"):
        op.drop_index(f"ix_offerings_{column}", table_name="offerings", schema="catalog")
        op.drop_column("offerings", column, schema="catalog")
    op.add_column(
        "offerings",
        sa.Column(
            "search_vector", TSVECTOR(), sa.Computed(OLD_SEARCH_VECTOR_SQL, persisted=True), nullable=True
        ),
        schema="catalog",
    )
    op.create_index(
        "ix_offerings_search_vector", "offerings", ["search_vector"], schema="catalog", postgresql_using="gin"
    )
    op.drop_column("offerings", "last_free_session_at", schema="catalog")
    op.drop_column("offerings", "search_labels", schema="catalog")
    op.execute("DROP FUNCTION catalog.search_labels(uuid)")
    op.execute("DROP FUNCTION catalog.search_parts_query(text)")
    op.drop_table("search_words", schema="catalog")
    op.execute("DROP FUNCTION catalog.search_lexeme(text)")
    op.execute("DROP TEXT SEARCH CONFIGURATION catalog.nb_parts")
    op.execute("DROP TEXT SEARCH DICTIONARY catalog.nb_words")
    op.execute("DROP FUNCTION catalog.search_fold(text)")
    # pg_trgm and unaccent stay: other schemas of the database may use them.

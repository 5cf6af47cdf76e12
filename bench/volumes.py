"""Catalogue data at the volume a municipality reaches: 2,000 offerings and 10,000 sessions.

Written set-based in SQL (a few seconds) rather than through the catalogue's service code, which would
take minutes and publish 12,000 events the listing benchmark does not need; the rows satisfy the same
constraints (the table checks and the generated search vector apply as for any insert). Titles and
summaries are drawn from the programme's own vocabulary, so Norwegian stemming finds a realistic share
of them: `LISTING_QUERY` matches several hundred published offerings.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

OFFERINGS, SESSIONS_PER_OFFERING = 2000, 5

# What the listing scenario asks for: search text, two filters, 50 results.
LISTING_QUERY = "q=ledelse&format=physical&has_free_seats=true&limit=50"

SEED_SQL = [
    "SELECT setseed(0.54)",
    """
    INSERT INTO catalog.offerings (id, kind_code, title, summary, description, booking_unit, status,
                                   audience, format, is_programme, published_at)
    SELECT gen_random_uuid(),
           (ARRAY['theme-gathering','leader-group-workshop','professional-day','reflection-group',
                  'leader-group-development'])[1 + n % 5],
           (ARRAY['Strategisk','Tillitsbasert','Effektiv','Trygg','Modig','Tydelig'])[1 + n % 6] || ' ' ||
           (ARRAY['ledelse','styring','samhandling','endring','krisehåndtering','ledergruppe',
                  'dialog'])[1 + (n / 6) % 7] || ' ' || n,
           'Samling for ledere i Oslo kommune om ' ||
           (ARRAY['risikostyring','ledelse på avstand','styringsdialog','komplekse samfunnsutfordringer',
                  'endringsledelse'])[1 + n % 5] || '.',
           repeat('Vi arbeider med egne case, refleksjon i grupper og innlegg fra fagmiljøene. ', 6),
           'person',
           CASE WHEN n % 20 = 0 THEN 'draft' ELSE 'published' END,
           'all-leaders',
           (ARRAY['physical','physical','digital','hybrid'])[1 + n % 4],
           n % 5 = 4,
           CASE WHEN n % 20 = 0 THEN NULL ELSE now() - make_interval(days => n % 300) END
    FROM generate_series(1, :offerings) AS n
    """,
    """
    INSERT INTO catalog.offering_themes (offering_id, theme_code)
    SELECT o.id, t.code
    FROM catalog.offerings o
    JOIN LATERAL (SELECT code FROM catalog.themes ORDER BY md5(o.id::text || code) LIMIT 2) t ON true
    """,
    # The kinds' and themes' names are searched with the summary (the service writes them with the themes).
    "UPDATE catalog.offerings SET search_labels = catalog.search_labels(id)",
    """
    INSERT INTO catalog.sessions (id, offering_id, position, starts_at, ends_at, venue, capacity, status,
                                  seats_taken, seats_version, enrollment_opens_at, enrollment_closes_at,
                                  cancellation_deadline)
    SELECT gen_random_uuid(), o.id, CASE WHEN o.is_programme THEN s END, start, start + interval '6 hours',
           (ARRAY['Oslo rådhus','Tøyen','Grønland','Teams'])[1 + s % 4], cap,
           'scheduled', (cap * random() * 1.1)::int % (cap + 1), 0,
           now() - interval '30 days', start - interval '1 day', start - interval '7 days'
    FROM (SELECT id, is_programme, row_number() OVER (ORDER BY id) AS n FROM catalog.offerings) o
    CROSS JOIN generate_series(1, :per_offering) AS s
    CROSS JOIN LATERAL (SELECT date_trunc('hour', now())
                               + make_interval(days => 14 + (o.n * 7 + s * 30)::int % 330) AS start,
                               20 + (o.n * 13 % 281)::int AS cap) v
    """,
    "ANALYZE catalog.offerings",
    "ANALYZE catalog.offering_themes",
    "ANALYZE catalog.sessions",
]


async def seed_catalog(engine: AsyncEngine) -> dict[str, int]:
    """Fill an empty catalogue; returns the row counts."""
    async with engine.begin() as connection:
        wanted = {"offerings": OFFERINGS, "per_offering": SESSIONS_PER_OFFERING}
        for statement in SEED_SQL:
            await connection.execute(
                text(statement), {k: v for k, v in wanted.items() if f":{k}" in statement}
            )
        counts = {}
        for table in ("offerings", "sessions", "offering_themes"):
            count = text("SELECT count(*) FROM catalog." + table)  # noqa: S608 - names from this tuple
            counts[table] = int((await connection.execute(count)).scalar_one())
    return counts

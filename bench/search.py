"""Search quality and the cost of its index.

- **Relevance**: the relevance set (`devtools/search_relevance.toml`) against the demo catalogue `make run`
  loads, in a database of its own on the benchmark's server, through the catalogue app in this process:
  precision and recall over the whole result lists, and the share of queries that find every expected
  offering among the first results (what `make test` requires of each).
- **Index cost** on the benchmark's 2,000 offerings: the size of the search columns, their indexes and the
  word list, and the time to rewrite every offering's texts beside the same rewrite of a copy of the
  table without the search columns, indexes and triggers (the baseline of the same run).
"""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import make_url, text

from devtools import devkeys, relevance
from devtools.demo import load_demo_data
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.cli import migrate_all
from services.kernel import database

DATABASE = "relevance"


async def relevance_set(url: str, auth: dict[str, str], keys: Any) -> dict[str, Any]:
    demo_url = make_url(url).set(database=DATABASE).render_as_string(hide_password=False)
    admin = await asyncpg.connect(database.libpq_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    await migrate_all(demo_url)
    await load_demo_data(demo_url)
    user = "leder0001@oslo.kommune.no"
    token = devkeys.mint_token(oid=devkeys.person_oid(user), email=user, directory=keys)
    app = create_catalog(CatalogSettings(database_url=demo_url, migrate_on_start=False, **auth))  # type: ignore[arg-type]
    answers = []
    async with LifespanManager(app, startup_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as client:
            for case in relevance.load():
                response = await client.get(
                    "/offerings",
                    params={"q": case.q, "limit": 20},
                    headers={"Authorization": f"Bearer {token}"},
                )
                response.raise_for_status()
                answers.append((case, [item["title"] for item in response.json()["items"]]))
    score = relevance.score(answers)
    return {
        "queries": len(answers),
        "precision": round(score.precision, 3),
        "recall": round(score.recall, 3),
        "found_first": round(score.found_first, 3),
        "misses": {case.q: case.misses(titles) for case, titles in answers if case.misses(titles)},
    }


SIZES_SQL = """
    SELECT (SELECT sum(pg_column_size(search_vector) + pg_column_size(search_parts)
                       + pg_column_size(search_labels))::bigint FROM catalog.offerings) AS columns,
           pg_relation_size('catalog.ix_offerings_search_vector') AS words_index,
           pg_relation_size('catalog.ix_offerings_search_parts') AS parts_index,
           pg_total_relation_size('catalog.search_words') AS word_list,
           (SELECT count(*) FROM catalog.search_words) AS words,
           pg_total_relation_size('catalog.offerings') AS offerings_total
"""
BASELINE_SQL = [
    "DROP TABLE IF EXISTS public.bench_plain_offerings",
    "CREATE TABLE public.bench_plain_offerings AS "
    "SELECT id, kind_code, title, summary, description, status FROM catalog.offerings",
    "ALTER TABLE public.bench_plain_offerings ADD PRIMARY KEY (id)",
]
REWRITE = (
    "UPDATE {table} SET title = title || ' ', summary = summary || ' ', description = description || ' '"
)


async def index_cost(url: str, rounds: int = 3) -> dict[str, Any]:
    engine = database.create_engine(url, application_name="bench-search", statement_timeout_ms=600_000)
    try:
        async with engine.connect() as connection:
            sizes = dict((await connection.execute(text(SIZES_SQL))).mappings().one())
            for statement in BASELINE_SQL:
                await connection.execute(text(statement))
            await connection.commit()
            timings: dict[str, list[float]] = {"offerings": [], "plain": []}
            for number in range(rounds):
                for name, table in (
                    ("offerings", "catalog.offerings"),
                    ("plain", "public.bench_plain_offerings"),
                ):
                    started = time.perf_counter()
                    await connection.execute(text(REWRITE.format(table=table, round=number)))
                    await connection.commit()
                    timings[name].append(time.perf_counter() - started)
            await connection.execute(text("DROP TABLE public.bench_plain_offerings"))
            await connection.commit()
    finally:
        await engine.dispose()
    best = {name: min(values) for name, values in timings.items()}
    return {
        "bytes": {k: int(v) for k, v in sizes.items() if k != "words"},
        "words": int(sizes["words"]),
        "rewrite_seconds": {k: round(v, 3) for k, v in best.items()},
        "rewrite_vs_plain": round(best["offerings"] / best["plain"], 2),
    }

"""The demo data `make run` loads: again on every start, whatever people did with the stack meanwhile."""

from __future__ import annotations

from sqlalchemy import text

from devtools.demo import DEMO_COACHES, OFFERINGS, load_demo_data
from services.catalog.offerings.models import Offering
from services.kernel import database
from tests.support import fresh_database


async def test_loading_again_adds_nothing_even_beside_a_namesake(server_url: str) -> None:
    async with fresh_database(server_url, "ledelse_demo") as url:
        first = await load_demo_data(url)
        assert f"{len(OFFERINGS)} new offerings" in first
        engine = database.create_engine(url, application_name="tests-demo")
        try:
            async with database.create_sessionmaker(engine)() as session, session.begin():
                # Someone made an offering with a demo offering's title (Swagger UI's example is one).
                session.add(Offering(kind_code=OFFERINGS[0].kind, title=OFFERINGS[0].title))
            again = await load_demo_data(url)
            async with engine.connect() as connection:
                offerings = await connection.scalar(text("SELECT count(*) FROM catalog.offerings"))
                coaches = await connection.scalar(text("SELECT count(*) FROM enrollment.coaches"))
        finally:
            await engine.dispose()
    assert again == "demo data: 0 new org units with top-leader groups, 0 new offerings"
    assert offerings == len(OFFERINGS) + 1
    assert coaches == len(DEMO_COACHES)

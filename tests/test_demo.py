"""The demo data `make run` loads: again on every start, whatever people did with the stack meanwhile;
and the demo year `make demo-year` plays on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from devtools.demo import DEMO_COACHES, OFFERINGS, load_demo_data
from devtools.demo_year import load_demo_year
from services.catalog.offerings.models import Offering
from services.enrollment.app import create_app as create_enrollment
from services.enrollment.settings import EnrollmentSettings
from services.kernel import database
from tests.support import eventually, fresh_database, running


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


async def _demo_year(
    server_url: str, service_settings: Callable[..., dict[str, Any]]
) -> tuple[set[Any], str]:
    """The demo data, the enrolment service consuming the catalogue's events until it knows every demo
    session, then the demo year played twice: what it enrolled (by person and session), and the second
    play's answer."""
    async with fresh_database(server_url, "ledelse_demo_year") as url:
        await load_demo_data(url)
        engine = database.create_engine(url, application_name="tests-demo-year")
        try:
            settings = EnrollmentSettings(**{**service_settings(), "database_url": url})

            async def known() -> bool:
                async with engine.connect() as connection:
                    counts = await connection.execute(
                        text(
                            "SELECT (SELECT count(*) FROM enrollment.sessions), "
                            "(SELECT count(*) FROM catalog.sessions)"
                        )
                    )
                    ours, catalogue = counts.one()
                return bool(ours == catalogue)

            async with running(create_enrollment(settings)):
                await eventually(known, within=30)
            first = await load_demo_year(url)
            again = await load_demo_year(url)
            async with engine.connect() as connection:
                enrolled = set(
                    await connection.execute(
                        text(
                            """SELECT p.email, s.starts_at, pa.status, pa.attendance
                               FROM enrollment.participations pa
                               JOIN enrollment.people p ON p.id = pa.person_id
                               JOIN enrollment.sessions s ON s.id = pa.session_id"""
                        )
                    )
                )
                rounds = await connection.scalar(
                    text("SELECT count(*) FROM enrollment.reflection_rounds WHERE status = 'confirmed'")
                )
        finally:
            await engine.dispose()
    assert "demo year played" in first
    assert "\n" not in first, first  # a refusal would be listed on a line of its own
    assert rounds == 1
    return enrolled, again


async def test_the_demo_year_plays_the_same_year_once(
    server_url: str, service_settings: Callable[..., dict[str, Any]]
) -> None:
    enrolled, again = await _demo_year(server_url, service_settings)
    assert again.startswith("demo year: not played, the database has")
    assert len(enrolled) > 200
    # Every confirmed place in a session held so far has its attendance (the rosters run over pages).
    held = {row for row in enrolled if row[2] == "confirmed" and row[1] < datetime.now(UTC)}
    assert held
    assert all(row[3] in {"attended", "absent", "excused"} for row in held)
    # The programme's places run out: some groups wait.
    assert {row[2] for row in enrolled} == {"confirmed", "waitlisted"}
    same, _ = await _demo_year(server_url, service_settings)
    assert same == enrolled

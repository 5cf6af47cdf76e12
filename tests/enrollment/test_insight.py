"""Coverage of the top-leader groups for a period: who took part in which kinds of offering, who did
not, how far groups are through their programme, and the trend; as JSON, CSV and Excel."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import openpyxl
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.reflection.models import ReflectionMember, ReflectionRound, RoundStatus
from services.kernel.schemas import OSLO
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, enroll
from tests.support import create_leader, create_org_unit


async def held_on(sessionmaker: async_sessionmaker[AsyncSession], session_id: uuid.UUID, day: str) -> None:
    """The session took place on `day` (09:00–12:00 in Oslo)."""
    starts = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=OSLO)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "UPDATE enrollment.sessions SET starts_at = :s, ends_at = :e, enrollment_opens_at = NULL, "
                "enrollment_closes_at = NULL, cancellation_deadline = NULL WHERE id = :id"
            ),
            {"s": starts, "e": starts + timedelta(hours=3), "id": session_id},
        )


async def mark(enrollment: httpx.AsyncClient, world: World, session_id: Any, *people: Any) -> None:
    response = await enrollment.put(
        f"/sessions/{session_id}/attendance",
        json={"records": [{"person_id": str(p), "attendance": "attended"} for p in people]},
        headers=coordinator(world.tokens),
    )
    assert response.status_code == 200, response.text


def reach(entries: list[dict[str, Any]]) -> dict[str, tuple[bool, bool, bool]]:
    return {r["kind"]: (r["enrolled"], r["attended"], r["completed"]) for r in entries}


async def test_coverage_of_a_year_and_a_term_by_sector(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        grorud = await create_org_unit(session, "Bydel Grorud", sector="Bydel")
        gro = await create_leader(
            session, "toppleder@bydel-grorud.oslo.kommune.no", org_unit=grorud, name="Gro"
        )
        # A department without a sector of its own is in its agency's.
        department = await create_org_unit(
            session,
            "UKE Lederutvikling",
            sector=None,
            parent_id=world.uke.id,
            parent_external_id=world.uke.external_id,
        )
        await create_leader(session, "dag@uke.oslo.kommune.no", org_unit=department, name="Dag")
        gathering = await add_offering(session, kind_code="theme-gathering")
        reflection = await add_offering(session, kind_code="reflection-group", audience="top-leaders")
        programme = await add_offering(
            session,
            kind_code="leader-group-development",
            title="Ledergruppeutvikling",
            audience="top-leader-groups",
            booking_unit="group",
            is_programme=True,
            completion_min_sessions=2,
        )
        march = await add_session(session, gathering)
        april = await add_session(session, reflection)
        autumn = [await add_session(session, programme, days=30 + n) for n in range(3)]
    kari, ola, ivar = world.members[0], world.leader, world.other_leader
    await enroll(enrollment, world.as_(kari), session_id=march.id)
    await enroll(enrollment, world.as_(ivar), session_id=april.id)
    await enroll(enrollment, world.as_(ola), offering_id=programme.id, leader_group_id=world.group.id)
    days = ["2026-03-10", "2026-04-14", "2026-09-01", "2026-10-13", "2027-01-12"]
    for course, day in zip([march, april, *autumn], days, strict=True):
        await held_on(sessionmaker, course.id, day)
    await mark(enrollment, world, march.id, kari.id)
    await mark(enrollment, world, autumn[0].id, ola.id, kari.id)
    await mark(enrollment, world, autumn[1].id, ola.id)  # the second of two required: Ola completes

    headers = coordinator(world.tokens)
    year = await enrollment.get(
        "/insight/coverage", params={"period": "2026", "sector": "Bydel"}, headers=headers
    )
    assert year.status_code == 200, year.text
    report = year.json()
    assert (report["groups_total"], report["groups_reached"]) == (2, 1)
    assert (report["leaders_total"], report["leaders_reached"]) == (2, 1)
    alna = next(g for g in report["groups"] if g["leader_group_id"] == str(world.group.id))
    # The group took part through Kari (a member) and Ola (its top leader); Ola alone only in the programme.
    assert reach(alna["kinds"]) == {
        "leader-group-development": (True, True, True),
        "theme-gathering": (True, True, True),
    }
    assert reach(alna["leader"]["kinds"]) == {"leader-group-development": (True, True, True)}
    assert [g["name"] for g in report["not_reached"]] == ["Ledergruppen til Gro"]
    assert {t["kind"]: (t["groups_enrolled"], t["leaders_enrolled"]) for t in report["by_kind"]} == {
        "leader-group-development": (1, 1),
        "theme-gathering": (1, 0),
    }
    # Two of the programme's three sessions attended; the third is next year, but still one of three.
    assert [(p["group"], p["sessions_attended"], p["sessions_total"]) for p in report["programmes"]] == [
        (world.group.name, 2, 3)
    ]
    assert [(t["year"], t["groups_reached"], t["leaders_reached"]) for t in report["trend"]] == [(2026, 1, 1)]

    # Every sector: UKE took part in a reflection group through its top leader, who did not attend.
    everyone = (await enrollment.get("/insight/coverage", params={"period": "2026"}, headers=headers)).json()
    uke = next(g for g in everyone["groups"] if g["leader_group_id"] == str(world.other_group.id))
    assert reach(uke["kinds"]) == {"reflection-group": (True, False, False)}
    assert (everyone["groups_total"], everyone["groups_reached"], everyone["leaders_reached"]) == (4, 2, 2)
    etat = (
        await enrollment.get(
            "/insight/coverage", params={"period": "2026", "sector": "Etat"}, headers=headers
        )
    ).json()
    assert {(g["org_unit"], g["sector"]) for g in etat["groups"]} == {
        ("Utviklings- og kompetanseetaten", "Etat"),
        ("UKE Lederutvikling", "Etat"),
    }

    # The spring term: the gathering, attended; its completion was recorded later (now), so not in spring.
    spring = (
        await enrollment.get(
            "/insight/coverage", params={"period": "2026-spring", "sector": "Bydel"}, headers=headers
        )
    ).json()
    alna = next(g for g in spring["groups"] if g["leader_group_id"] == str(world.group.id))
    assert reach(alna["kinds"]) == {"theme-gathering": (True, True, False)}
    assert spring["programmes"] == []
    assert spring["period"] == {
        "name": "2026-spring",
        "starts_at": "2026-01-01T00:00:00+01:00",
        "ends_at": "2026-07-01T00:00:00+02:00",
    }
    next_year = (await enrollment.get("/insight/coverage", params={"period": "2027"}, headers=headers)).json()
    # In 2027 the group holds a place in the programme's last session, not yet held.
    alna = next(g for g in next_year["groups"] if g["leader_group_id"] == str(world.group.id))
    assert reach(alna["kinds"]) == {"leader-group-development": (True, False, False)}
    assert next_year["groups_reached"] == 1
    assert [t["year"] for t in next_year["trend"]] == [2026, 2027]
    assert next_year["trend"][1]["groups_by_kind"] == {"leader-group-development": 1}

    csv = await enrollment.get(
        "/insight/coverage.csv", params={"period": "2026", "sector": "Bydel"}, headers=headers
    )
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="dekning-2026.csv"' in csv.headers["content-disposition"]
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("periode;ledergruppe;virksomhet;sektor;toppleder;tilbudstype")
    assert f"2026;{world.group.name};Bydel Alna;Bydel;Ola;theme-gathering;ja;ja;ja;nei;nei;nei" in lines
    assert "2026;Ledergruppen til Gro;Bydel Grorud;Bydel;Gro;;nei;nei;nei;nei;nei;nei" in lines

    xlsx = await enrollment.get("/insight/coverage.xlsx", params={"period": "2026"}, headers=headers)
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames == ["Dekning", "Program", "Utvikling"]
    assert [c.value for c in workbook["Program"][2]] == [world.group.name, "Ledergruppeutvikling", 2, 3]

    # Each read names the top leaders it showed, on record (docs/privacy.md).
    async with sessionmaker() as session:
        reads = (
            await session.execute(
                text("SELECT purpose, subject_ids FROM enrollment.personal_data_reads ORDER BY id")
            )
        ).all()
    assert [r.purpose for r in reads] == ["coverage"] * 5 + ["coverage export"] * 2
    assert set(reads[0].subject_ids) == {world.leader.id, gro.id}


async def test_coverage_is_for_coordinators_and_names_its_period_plainly(
    enrollment: httpx.AsyncClient, world: World
) -> None:
    for path in ("/insight/coverage", "/insight/coverage.csv", "/insight/coverage.xlsx"):
        refused = await enrollment.get(path, headers=world.as_(world.leader))
        assert refused.status_code == 403
    for period in ("2026-summer", "26", "2026-spring-autumn", "２０２６", "0000", "9999-autumn", "2026\n"):
        bad = await enrollment.get(
            "/insight/coverage", params={"period": period}, headers=coordinator(world.tokens)
        )
        assert bad.status_code == 422, period
        assert bad.headers["content-type"] == "application/problem+json"
    this_year = await enrollment.get("/insight/coverage", headers=coordinator(world.tokens))
    assert this_year.json()["period"]["name"] == str(datetime.now(OSLO).year)


async def test_collaboration_counts_agencies_that_met_and_draws_them(
    enrollment: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        grorud = await create_org_unit(session, "Bydel Grorud", sector="Bydel")
        frogner = await create_org_unit(session, "Bydel Frogner", sector="Bydel")
        gro = await create_leader(session, "gro@bydel-grorud.oslo.kommune.no", org_unit=grorud, name="Gro")
        fred = await create_leader(
            session, "fred@bydel-frogner.oslo.kommune.no", org_unit=frogner, name="Fred"
        )
        gathering = await add_offering(session, kind_code="theme-gathering")
        big_day = await add_offering(session, kind_code="professional-day")
        march, june = await add_session(session, gathering), await add_session(session, big_day)
        round_id = uuid.uuid4()
        session.add(
            ReflectionRound(
                id=round_id,
                offering_id=uuid.uuid4(),
                status=RoundStatus.confirmed,
                min_size=2,
                max_size=8,
                seed=1,
                created_by_oid="test",
                confirmed_at=datetime(2026, 10, 20, 13, tzinfo=OSLO),
            )
        )
        await session.flush()
        for person, number in ((world.leader, 1), (world.other_leader, 1), (gro, 2), (fred, 2)):
            session.add(ReflectionMember(round_id=round_id, person_id=person.id, group_number=number))
    kari, ivar = world.members[0], world.other_leader
    for person in (kari, ivar, gro, fred):
        await enroll(enrollment, world.as_(person), session_id=march.id)
    for person in (fred, ivar):
        await enroll(enrollment, world.as_(person), session_id=june.id)
    await held_on(sessionmaker, march.id, "2026-03-10")
    await held_on(sessionmaker, june.id, "2026-06-02")
    await mark(enrollment, world, march.id, kari.id, ivar.id, gro.id)
    absent = await enrollment.put(
        f"/sessions/{march.id}/attendance",
        json={"records": [{"person_id": str(fred.id), "attendance": "absent"}]},
        headers=coordinator(world.tokens),
    )
    assert absent.status_code == 200

    headers = coordinator(world.tokens)
    report = (await enrollment.get("/insight/collaboration", headers=headers)).json()
    pairs = {
        (p["a"]["name"], p["b"]["name"]): (
            p["occasions"],
            p["cross_sector"],
            p["first_met"][:10],
            p["last_met"][:10],
        )
        for p in report["pairs"]
    }
    named = {tuple(sorted(k)): v for k, v in pairs.items()}
    # Fred was absent from the gathering, and the professional day does not count by default.
    assert named == {
        ("Bydel Alna", "Utviklings- og kompetanseetaten"): (2, True, "2026-03-10", "2026-10-20"),
        ("Bydel Alna", "Bydel Grorud"): (1, False, "2026-03-10", "2026-03-10"),
        ("Bydel Grorud", "Utviklings- og kompetanseetaten"): (1, True, "2026-03-10", "2026-03-10"),
        ("Bydel Frogner", "Bydel Grorud"): (1, False, "2026-10-20", "2026-10-20"),
    }
    assert [a["name"] for a in report["met_nobody_outside_sector"]] == ["Bydel Frogner"]
    assert [
        (t["term"], t["new_pairs"], t["new_cross_sector_pairs"]) for t in report["new_pairs_by_term"]
    ] == [
        ("2026-autumn", 1, 0),
        ("2026-spring", 3, 2),
    ]
    assert {(s["a"], s["b"]): (s["agency_pairs"], s["occasions"]) for s in report["sectors"]} == {
        ("Bydel", "Bydel"): (2, 2),
        ("Bydel", "Etat"): (2, 3),
    }

    with_day = await enrollment.get(
        "/insight/collaboration",
        params=[("kind", "theme-gathering"), ("kind", "professional-day")],
        headers=headers,
    )
    assert with_day.json()["met_nobody_outside_sector"] == []  # Fred met Ivar (UKE) at the big day
    spring = (
        await enrollment.get("/insight/collaboration", params={"period": "2026-spring"}, headers=headers)
    ).json()
    assert len(spring["pairs"]) == 3

    csv = await enrollment.get("/insight/collaboration.csv", headers=headers)
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert (
        lines[0]
        == "virksomhet A;sektor A;virksomhet B;sektor B;på tvers av sektorer;ganger;første gang;siste gang"
    )
    assert len(lines) == 5

    picture = await enrollment.get("/insight/collaboration.svg", headers=headers)
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/svg+xml"
    assert "default-src 'none'" in picture.headers["content-security-policy"]
    svg = ElementTree.fromstring(picture.content)  # noqa: S314 - the service's own drawing
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"Bydel Alna", "Bydel Frogner", "Bydel Grorud", "Utviklings- og kompetanseetaten"} <= texts
    assert "Samarbeid på tvers av virksomheter" in texts
    # The same data draws the same picture: it can be cached and compared.
    assert (await enrollment.get("/insight/collaboration.svg", headers=headers)).content == picture.content
    refused = await enrollment.get("/insight/collaboration.svg", headers=world.as_(world.leader))
    assert refused.status_code == 403

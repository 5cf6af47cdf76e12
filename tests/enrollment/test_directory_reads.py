"""Who reads whom in the directory: coordinators everyone, people themselves, top leaders their group."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.directory.models import LeaderGroup, LeaderGroupMember
from tests.support import TokenFactory, create_org_unit, create_person

LEADER, MEMBER, OTHER = (
    "leder@bydel-alna.oslo.kommune.no",
    "medlem@bydel-alna.oslo.kommune.no",
    "annen@uke.oslo.kommune.no",
)


async def build(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessionmaker() as session, session.begin():
        alna = await create_org_unit(session, "Bydel Alna")
        leader = await create_person(session, LEADER, org_unit=alna, name="Ola Hansen")
        member = await create_person(session, MEMBER, org_unit=alna, name="Kari 50%_Berg")
        other = await create_person(session, OTHER, name="Per Annen")
        group = LeaderGroup(
            external_id="tlg-alna", org_unit_id=alna.id, leader_id=leader.id, name="Toppledergruppen Alna"
        )
        session.add(group)
        await session.flush()
        session.add_all(
            [
                LeaderGroupMember(
                    group_id=group.id,
                    person_id=leader.id,
                    person_external_id=leader.external_id,
                    role_title="Bydelsdirektør",
                ),
                LeaderGroupMember(
                    group_id=group.id, person_id=member.id, person_external_id=member.external_id
                ),
            ]
        )
    return {
        "leader": str(leader.id),
        "member": str(member.id),
        "other": str(other.id),
        "group": str(group.id),
    }


async def test_people_read_themselves_and_coordinators_read_everyone(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await build(sessionmaker)
    member = tokens.header(email=MEMBER)
    assert (await enrollment.get(f"/people/{ids['member']}", headers=member)).json()[
        "name"
    ] == "Kari 50%_Berg"
    # Someone else's record, or one that does not exist: the same 404.
    someone = await enrollment.get(f"/people/{ids['other']}", headers=member)
    nobody = await enrollment.get("/people/00000000-0000-0000-0000-000000000000", headers=member)
    assert someone.status_code == nobody.status_code == 404
    assert someone.json()["type"] == nobody.json()["type"] == "urn:problem:person-not-found"
    assert (
        await enrollment.get(f"/people/{ids['other']}", headers=tokens.header("coordinator"))
    ).status_code == 200
    assert (await enrollment.get("/people", headers=member)).status_code == 403
    found = (
        await enrollment.get("/people", params={"q": "50%_"}, headers=tokens.header("coordinator"))
    ).json()["items"]
    assert [p["name"] for p in found] == ["Kari 50%_Berg"]  # % and _ are literal
    assert (
        len(
            (await enrollment.get("/people", params={"q": "%"}, headers=tokens.header("coordinator"))).json()[
                "items"
            ]
        )
        == 1
    )


async def test_a_top_leader_reads_their_own_group_and_nobody_else_does(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await build(sessionmaker)
    [mine] = (await enrollment.get("/leader-groups/mine", headers=tokens.header(email=LEADER))).json()[
        "items"
    ]
    assert mine["id"] == ids["group"]
    assert [(m["name"], m["role_title"]) for m in mine["members"]] == [
        ("Kari 50%_Berg", None),
        ("Ola Hansen", "Bydelsdirektør"),
    ]
    assert (await enrollment.get("/leader-groups/mine", headers=tokens.header(email=MEMBER))).json()[
        "items"
    ] == []
    path = f"/leader-groups/{ids['group']}"
    assert (await enrollment.get(path, headers=tokens.header(email=LEADER))).status_code == 200
    assert (await enrollment.get(path, headers=tokens.header(email=MEMBER))).status_code == 404
    assert (await enrollment.get(path, headers=tokens.header(email=OTHER))).status_code == 404
    assert (await enrollment.get(path, headers=tokens.header("coordinator"))).status_code == 200
    listed = (
        await enrollment.get("/leader-groups", params={"q": "alna"}, headers=tokens.header("coordinator"))
    ).json()["items"]
    assert [g["name"] for g in listed] == ["Toppledergruppen Alna"]


async def test_org_units_are_searchable_by_every_employee(
    enrollment: httpx.AsyncClient, tokens: TokenFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await build(sessionmaker)
    units = (
        await enrollment.get(
            "/org-units", params={"q": "alna", "kind": "city-district"}, headers=tokens.header()
        )
    ).json()["items"]
    assert [u["name"] for u in units] == ["Bydel Alna"]
    assert (
        await enrollment.get("/org-units", params={"kind": "castle"}, headers=tokens.header())
    ).status_code == 422

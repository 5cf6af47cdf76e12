"""A small municipality for enrollment tests: two units, two top-leader groups, a plain employee."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from services.enrollment.directory.models import LeaderGroup, OrgUnit, Person
from tests.support import TokenFactory, create_leader, create_org_unit, create_person


@dataclass
class World:
    tokens: TokenFactory
    sector: OrgUnit
    alna: OrgUnit
    uke: OrgUnit
    leader: Person  # top leader of Bydel Alna, whose group has three more members
    members: list[Person]
    group: LeaderGroup
    other_leader: Person  # top leader of UKE, a group of two
    other_group: LeaderGroup
    employee: Person  # in Bydel Alna, leads nobody

    def as_(self, person: Person) -> dict[str, str]:
        return self.tokens.header(email=person.email)


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession], tokens: TokenFactory) -> World:
    async with sessionmaker() as session, session.begin():
        sector = await create_org_unit(session, "Bydelene", kind="other", sector="Bydel")
        alna = await create_org_unit(
            session, "Bydel Alna", parent_id=sector.id, parent_external_id=sector.external_id
        )
        uke = await create_org_unit(session, "Utviklings- og kompetanseetaten", kind="agency", sector="Etat")
        members = [
            await create_person(
                session, f"{name.lower()}@bydel-alna.oslo.kommune.no", org_unit=alna, name=name
            )
            for name in ("Kari", "Per", "Liv")
        ]
        leader = await create_leader(
            session, "ola@bydel-alna.oslo.kommune.no", org_unit=alna, name="Ola", members=members
        )
        uke_member = await create_person(session, "siv@uke.oslo.kommune.no", org_unit=uke, name="Siv")
        other_leader = await create_leader(
            session, "ivar@uke.oslo.kommune.no", org_unit=uke, name="Ivar", members=[uke_member]
        )
        employee = await create_person(
            session, "ansatt@bydel-alna.oslo.kommune.no", org_unit=alna, name="Åse"
        )
        groups = {g.leader_id: g for g in (await session.execute(select(LeaderGroup))).scalars()}
    return World(
        tokens=tokens,
        sector=sector,
        alna=alna,
        uke=uke,
        leader=leader,
        members=members,
        group=groups[leader.id],
        other_leader=other_leader,
        other_group=groups[other_leader.id],
        employee=employee,
    )

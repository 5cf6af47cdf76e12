"""Rules of the directory's reads: who a signed-in principal is, and who may read whom.

Coordinators read everyone. A signed-in person reads their own record and, as a top leader, their own
leader group. Anyone else's record or group answers 404, exactly as a missing one does, so the API is
no oracle for who exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory import repository
from services.enrollment.directory.models import LeaderGroup, Person
from services.enrollment.directory.schemas import LeaderGroupPublic
from services.kernel.auth.tokens import Principal, Role
from services.kernel.problems import Forbidden, NotFound


class NotInDirectory(Forbidden):
    slug = "not-in-directory"
    title = "Not in the HR directory"


class PersonNotFound(NotFound):
    slug = "person-not-found"
    title = "Person not found"


class LeaderGroupNotFound(NotFound):
    slug = "leader-group-not-found"
    title = "Leader group not found"


async def person_for(session: AsyncSession, principal: Principal) -> Person:
    """The active directory record of the signed-in person, matched by the token's `oid`."""
    person = await repository.person_by_oid(session, principal.oid)
    if person is None or not person.active:
        raise NotInDirectory("No active person in the HR directory matches your sign-in (oid).")
    return person


async def readable_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> Person:
    person = await repository.get_person(session, person_id)
    if person is not None and principal.has_role(Role.coordinator):
        return person
    if person is not None and person.entra_oid == principal.oid:
        return person
    raise PersonNotFound(f"No person {person_id}.")


async def readable_group(session: AsyncSession, principal: Principal, group_id: uuid.UUID) -> LeaderGroup:
    group = await repository.get_group(session, group_id)
    if group is not None and principal.has_role(Role.coordinator):
        return group
    if group is not None and group.leader_id is not None:
        leader = await repository.get_person(session, group.leader_id)
        if leader is not None and leader.entra_oid == principal.oid:
            return group
    raise LeaderGroupNotFound(f"No leader group {group_id}.")


async def with_members(session: AsyncSession, groups: Sequence[LeaderGroup]) -> list[LeaderGroupPublic]:
    members = await repository.members_of(session, [g.id for g in groups])
    return [
        LeaderGroupPublic.model_validate({**g.model_dump(), "members": members.get(g.id, [])}) for g in groups
    ]

"""Rules of the directory: who a signed-in principal is."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory import repository
from services.enrollment.directory.models import Person
from services.kernel.auth.tokens import Principal
from services.kernel.problems import Forbidden


class NotInDirectory(Forbidden):
    slug = "not-in-directory"
    title = "Not in the HR directory"


async def person_for(session: AsyncSession, principal: Principal) -> Person:
    """The active directory record of the signed-in person, matched by the token's `oid`."""
    person = await repository.person_by_oid(session, principal.oid)
    if person is None or not person.active:
        raise NotInDirectory("No active person in the HR directory matches your sign-in (oid).")
    return person

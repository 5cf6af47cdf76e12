"""The programme's coaches: who they are, how many requests a term each takes, and their load.

A term is a half-year in Oslo time, the programme's planning rhythm: "2027-spring" (January to June)
and "2027-autumn". A request counts in the term it was assigned in, for the coach it was assigned to,
unless it ended (withdrawn or declined) before any conversation was booked.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.coaching import repository
from services.enrollment.coaching.models import Coach
from services.enrollment.coaching.schemas import (
    CoachCreate,
    CoachLoad,
    CoachPublic,
    CoachSummary,
    CoachUpdate,
)
from services.kernel import clock
from services.kernel.problems import Conflict, NotFound
from services.kernel.schemas import OSLO


class CoachNotFound(NotFound):
    slug = "coach-not-found"
    title = "Coach not found"


class CoachSignInTaken(Conflict):
    slug = "coach-sign-in-taken"
    title = "Another coach has this sign-in"


def term_of(moment: datetime) -> str:
    """The half-year a moment falls in, in Oslo: "2027-spring" (January to June) or "2027-autumn"."""
    local = moment.astimezone(OSLO)
    return f"{local.year}-{'spring' if local.month <= 6 else 'autumn'}"


def next_term(term: str) -> str:
    year, half = term.split("-")
    return f"{year}-autumn" if half == "spring" else f"{int(year) + 1}-spring"


async def coaches(session: AsyncSession) -> list[Coach]:
    return list(await repository.coaches(session))


async def present_coaches(session: AsyncSession, coaches: list[Coach]) -> list[CoachPublic]:
    now_term = term_of(clock.now())
    terms = [now_term, next_term(now_term)]
    ids = [c.id for c in coaches]
    load = await repository.load(session, ids, terms)
    open_counts = await repository.open_requests(session, ids)
    return [
        CoachPublic.model_validate(
            {
                **CoachSummary.model_validate(c).model_dump(),
                "entra_oid": c.entra_oid,
                "capacity_per_term": c.capacity_per_term,
                "language": c.language,
                "active": c.active,
                "open_requests": open_counts.get(c.id, 0),
                "load": [
                    CoachLoad(
                        term=term,
                        assigned=load.get((c.id, term), 0),
                        capacity=c.capacity_per_term,
                        available=max(c.capacity_per_term - load.get((c.id, term), 0), 0),
                    )
                    for term in terms
                ],
            }
        )
        for c in coaches
    ]


async def _sign_in_free(session: AsyncSession, oid: str | None, coach_id: uuid.UUID | None = None) -> None:
    holder = await repository.coach_with_oid(session, oid) if oid else None
    if holder is not None and holder.id != coach_id:
        raise CoachSignInTaken(f"{holder.name} signs in with this entra_oid.")


async def add_coach(session: AsyncSession, data: CoachCreate) -> Coach:
    await _sign_in_free(session, data.entra_oid)
    coach = Coach(**data.model_dump())
    await repository.add(session, coach)
    return coach


async def update_coach(session: AsyncSession, coach_id: uuid.UUID, data: CoachUpdate) -> Coach:
    coach = await repository.get_coach(session, coach_id)
    if coach is None:
        raise CoachNotFound(f"No coach {coach_id}.")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("entra_oid"):
        await _sign_in_free(session, changes["entra_oid"], coach.id)
    for field, value in changes.items():
        if value is None and field != "entra_oid":
            continue
        setattr(coach, field, value)
    await session.flush()
    return coach

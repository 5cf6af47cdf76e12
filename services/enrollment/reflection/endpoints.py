"""HTTP endpoints of reflection rounds (coordinators) and of one's own reflection group."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.service import NotInDirectory, person_for
from services.enrollment.offerings.models import OfferingView
from services.enrollment.privacy.models import PersonalDataRead
from services.enrollment.reflection import algorithm, service
from services.enrollment.reflection.models import PinKind
from services.enrollment.reflection.schemas import (
    AdjustmentPublic,
    BrokenPin,
    GroupPublic,
    Move,
    MyGroupPage,
    MyGroupPublic,
    Pins,
    QualityPublic,
    ReflectionChangePublic,
    ReflectionMemberPublic,
    RepeatedPair,
    Reproposal,
    RoundCreate,
    RoundPage,
    RoundPublic,
    SizeViolation,
    UnitConflict,
)
from services.kernel.auth.tokens import CoordinatorOnly, CurrentPrincipal
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.privacy import record_read
from services.kernel.problems import COMMON_RESPONSES, Forbidden, NotFound, Problem, responses_for

router = APIRouter(
    route_class=TransactionalRoute,
    tags=["reflection groups"],
    responses={**COMMON_RESPONSES, 403: Forbidden.openapi()},
)
ROUND_RESPONSES = responses_for(service.RoundNotFound, service.RoundConfirmed)


def round_responses(*more: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """What a change to a round can answer: not found, already confirmed, and `more`."""
    return responses_for(service.RoundNotFound, service.RoundConfirmed, *more)


def _member(cohort: service.Cohort, person_id: uuid.UUID) -> ReflectionMemberPublic:
    person = cohort.people.get(person_id)
    unit = cohort.units.get(person.org_unit_id) if person and person.org_unit_id else None
    return ReflectionMemberPublic(
        person_id=person_id,
        name=person.name if person else "(ukjent)",
        org_unit_id=person.org_unit_id if person else None,
        org_unit_name=unit.name if unit else None,
        sector=cohort.sector_of(person_id) if person else None,
    )


async def present(session: AsyncSession, round_id: uuid.UUID) -> RoundPublic:
    loaded = await service.load(session, round_id)
    numbers, lists = loaded.as_lists()
    everyone = [p for g in lists for p in g]
    cohort = await service.cohort(session, loaded.round.offering_id, extra=everyone)
    known = {m.person_id: m for m in cohort.members}
    # Members who left since are scored with what the directory says of them now.
    members = [
        known.get(p)
        or algorithm.Member(p, cohort.people[p].org_unit_id if p in cohort.people else None, None)
        for p in everyone
    ]
    rules = await service.rules(session, round_id, set(everyone), loaded.pins)
    quality = algorithm.quality(lists, members, loaded.round.min_size, loaded.round.max_size, rules)
    return RoundPublic(
        id=loaded.round.id,
        offering_id=loaded.round.offering_id,
        status=loaded.round.status,
        min_size=loaded.round.min_size,
        max_size=loaded.round.max_size,
        seed=loaded.round.seed,
        version=loaded.round.version,
        created_at=loaded.round.created_at,
        confirmed_at=loaded.round.confirmed_at,
        participants=len(everyone),
        pins=Pins(
            together=[(p.person_a, p.person_b) for p in loaded.pins if p.kind == PinKind.together],
            apart=[(p.person_a, p.person_b) for p in loaded.pins if p.kind == PinKind.apart],
        ),
        groups=[
            GroupPublic(number=n, size=len(g), sectors=sectors, members=[_member(cohort, p) for p in g])
            for n, g, sectors in zip(numbers, lists, quality.sectors, strict=True)
        ],
        quality=QualityPublic(
            ok=not (quality.unit_conflicts or quality.pins_broken or quality.size_violations),
            cost=quality.cost,
            unit_conflicts=[
                UnitConflict(group=numbers[i], org_unit_id=u, person_ids=ps)
                for i, u, ps in quality.unit_conflicts
            ],
            pins_broken=[BrokenPin(kind=k, person_ids=p) for k, p in quality.pins_broken],
            repeated_pairs=[
                RepeatedPair(group=numbers[i], person_ids=p, times=t) for i, p, t in quality.repeated_pairs
            ],
            size_violations=[SizeViolation(group=numbers[i], size=s) for i, s in quality.size_violations],
            sector_spread=quality.sector_spread,
            agency_pairs_met=quality.agency_pairs_met,
        ),
    )


@router.post(
    "/offerings/{offering_id}/reflection-rounds",
    status_code=status.HTTP_201_CREATED,
    summary="Propose reflection groups",
    responses=responses_for(NotFound, service.NotReflectionGroups, service.NoParticipants),
)
async def create_round(
    session: SessionDep, principal: CoordinatorOnly, offering_id: uuid.UUID, body: RoundCreate
) -> RoundPublic:
    """Divide the offering's confirmed participants into groups of `min_size` to `max_size`: no two
    from the same org unit, sectors spread evenly, few pairs who met in earlier rounds. The same
    participants and `seed` give the same groups; `quality` says how well each rule is met."""
    created = await service.create(session, principal, offering_id, body)
    return await present(session, created.id)


@router.get("/offerings/{offering_id}/reflection-rounds", summary="List an offering's reflection rounds")
async def list_rounds(
    session: SessionDep, _: CoordinatorOnly, offering_id: uuid.UUID, paging: Paging
) -> RoundPage:
    """Every round of the offering, newest first, with groups and quality."""
    rounds = paging.window(await service.rounds_of(session, offering_id))
    return paging.page(RoundPage, [await present(session, r.id) for r in rounds])


@router.get("/reflection-rounds/{round_id}", summary="Get a reflection round", responses=ROUND_RESPONSES)
async def get_round(session: SessionDep, principal: CoordinatorOnly, round_id: uuid.UUID) -> RoundPublic:
    """A round's groups, their members and sectors, its pins and its quality. The read is recorded
    (docs/privacy.md)."""
    shown = await present(session, round_id)
    members = [m.person_id for g in shown.groups for m in g.members]
    await record_read(session, PersonalDataRead, principal, "reflection groups", subject_ids=members)
    return shown


@router.post(
    "/reflection-rounds/{round_id}/moves",
    summary="Move someone to another group",
    responses=round_responses(service.NotInRound),
)
async def move_member(
    session: SessionDep, _: CoordinatorOnly, round_id: uuid.UUID, body: Move
) -> RoundPublic:
    """Move a participant to a group (or, with the next number, into a new group); the quality is
    scored again. Drafts only."""
    await service.move(session, round_id, body.person_id, body.group)
    return await present(session, round_id)


@router.put(
    "/reflection-rounds/{round_id}/pins",
    summary="Pin people together or apart",
    responses=round_responses(service.NotInRound),
)
async def set_pins(session: SessionDep, _: CoordinatorOnly, round_id: uuid.UUID, body: Pins) -> RoundPublic:
    """Replace the round's pins. The quality reports pins the groups break; a new proposal
    (`POST …/proposal`) keeps them. Drafts only."""
    await service.set_pins(session, round_id, body)
    return await present(session, round_id)


@router.post(
    "/reflection-rounds/{round_id}/proposal",
    summary="Propose the groups again",
    responses=round_responses(service.NoParticipants),
)
async def repropose(
    session: SessionDep, _: CoordinatorOnly, round_id: uuid.UUID, body: Reproposal
) -> RoundPublic:
    """A fresh division of the offering's current participants that keeps the pins (optionally with
    another seed). Drafts only."""
    await service.repropose(session, round_id, body.seed)
    return await present(session, round_id)


@router.post("/reflection-rounds/{round_id}/confirm", summary="Confirm the groups", responses=ROUND_RESPONSES)
async def confirm_round(session: SessionDep, principal: CoordinatorOnly, round_id: uuid.UUID) -> RoundPublic:
    """Confirm the groups: published as `enrollment.reflection_groups_confirmed`, and each participant
    sees their group (`GET /reflection-groups/mine`)."""
    await service.confirm(session, principal, round_id)
    return await present(session, round_id)


async def _adjust(session: SessionDep, round_id: uuid.UUID, apply: bool) -> AdjustmentPublic:
    if apply:
        changes = await service.adjust(session, round_id)
        current = await present(session, round_id)
    else:
        # A preview: the same adjustment applied in a savepoint, scored, and rolled back (nothing stored
        # or published, and the round keeps its version).
        async with session.begin_nested() as savepoint:
            changes = await service.adjust(session, round_id)
            current = await present(session, round_id)
            await savepoint.rollback()
    return AdjustmentPublic(
        applied=apply and bool(changes),
        changes=[ReflectionChangePublic(**c.model_dump()) for c in changes],
        round=current,
    )


@router.get(
    "/reflection-rounds/{round_id}/adjustment",
    summary="Preview the change late enrollments and cancellations need",
    responses={404: service.RoundNotFound.openapi()},
)
async def preview_adjustment(
    session: SessionDep, _: CoordinatorOnly, round_id: uuid.UUID
) -> AdjustmentPublic:
    """The fewest moves that take in people who enrolled since and take out those who left, keeping
    group sizes within range; nothing is stored."""
    return await _adjust(session, round_id, apply=False)


@router.post(
    "/reflection-rounds/{round_id}/adjustment",
    summary="Apply the change late enrollments and cancellations need",
    responses={404: service.RoundNotFound.openapi()},
)
async def apply_adjustment(session: SessionDep, _: CoordinatorOnly, round_id: uuid.UUID) -> AdjustmentPublic:
    """Apply the previewed moves; for a confirmed round they are published as
    `enrollment.reflection_groups_changed` (with the moves and the groups after)."""
    return await _adjust(session, round_id, apply=True)


@router.get(
    "/reflection-groups/mine", summary="List my reflection groups", responses=responses_for(NotInDirectory)
)
async def my_groups(session: SessionDep, principal: CurrentPrincipal, paging: Paging) -> MyGroupPage:
    """The confirmed reflection groups you belong to, with their members."""
    me = await person_for(session, principal)
    mine = []
    for membership, found in paging.window(await service.confirmed_rounds_of(session, me.id)):
        loaded = await service.load(session, found.id)
        members = loaded.groups.get(membership.group_number, [])
        cohort = await service.cohort(session, found.offering_id, extra=members)
        offering = await session.get(OfferingView, found.offering_id)
        mine.append(
            MyGroupPublic(
                round_id=found.id,
                offering_id=found.offering_id,
                offering_title=offering.title if offering else None,
                group=membership.group_number,
                members=[_member(cohort, p) for p in members],
            )
        )
    return paging.page(MyGroupPage, mine)

"""Reflection rounds: propose, shape (moves, pins), confirm, and adjust after late changes.

The algorithm itself is in `algorithm.py`; this module reads who takes part, stores rounds and
publishes what was confirmed or changed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.models import OrgUnit, Person
from services.enrollment.events import (
    SOURCE,
    ReflectionChange,
    ReflectionGroup,
    ReflectionGroupsChanged,
    ReflectionGroupsConfirmed,
)
from services.enrollment.insight import repository as insight
from services.enrollment.insight.collaboration import EVER, meetings
from services.enrollment.insight.schemas import MEETING_KINDS
from services.enrollment.offerings.models import OfferingView
from services.enrollment.reflection import algorithm, repository
from services.enrollment.reflection.models import (
    PinKind,
    ReflectionMember,
    ReflectionPin,
    ReflectionRound,
    RoundStatus,
)
from services.enrollment.reflection.schemas import Pins, RoundCreate
from services.kernel import clock
from services.kernel.auth.tokens import Principal
from services.kernel.eventbus import publish
from services.kernel.problems import Conflict, NotFound, Problem

REFLECTION_KIND = "reflection-group"


class RoundNotFound(NotFound):
    slug = "reflection-round-not-found"
    title = "Reflection round not found"


class NotReflectionGroups(Problem):
    status = 422
    slug = "not-reflection-groups"
    title = "Not a reflection-group offering"


class NoParticipants(Problem):
    status = 422
    slug = "no-participants"
    title = "No confirmed participants"


class RoundConfirmed(Conflict):
    slug = "round-confirmed"
    title = "The round is confirmed"


class NotInRound(Problem):
    status = 422
    slug = "not-in-round"
    title = "Not a participant of this round"


@dataclass
class Cohort:
    """Who takes part, as the algorithm sees them and as people read them."""

    members: list[algorithm.Member]
    people: dict[uuid.UUID, Person]
    units: dict[uuid.UUID, OrgUnit]

    def sector_of(self, person_id: uuid.UUID) -> str | None:
        return next((m.sector for m in self.members if m.person_id == person_id), None)


@dataclass
class Loaded:
    round: ReflectionRound
    groups: dict[int, list[uuid.UUID]]
    pins: list[ReflectionPin]

    def as_lists(self) -> tuple[list[int], list[list[uuid.UUID]]]:
        numbers = sorted(self.groups)
        return numbers, [self.groups[n] for n in numbers]


async def _sector(session: AsyncSession, unit: OrgUnit | None, units: dict[uuid.UUID, OrgUnit]) -> str | None:
    """The unit's sector, or the nearest ancestor's (a department inherits its agency's)."""
    seen = set()
    while unit is not None and unit.id not in seen:
        if unit.sector:
            return unit.sector
        seen.add(unit.id)
        if unit.parent_id is None:
            return None
        parent = units.get(unit.parent_id) or await session.get(OrgUnit, unit.parent_id)
        if parent is not None:
            units[parent.id] = parent
        unit = parent
    return None


async def cohort(session: AsyncSession, offering_id: uuid.UUID, extra: Sequence[uuid.UUID] = ()) -> Cohort:
    """Everyone holding a confirmed place in one of the offering's sessions (and `extra` people, who
    are read for their names only)."""
    ids = await repository.confirmed_in_offering(session, offering_id)
    people = await repository.people(session, ids | set(extra))
    units = await repository.units(session, {p.org_unit_id for p in people.values() if p.org_unit_id})
    members = []
    for person_id in sorted(ids):
        person = people.get(person_id)
        if person is None or not person.active:
            continue
        unit = units.get(person.org_unit_id) if person.org_unit_id else None
        members.append(algorithm.Member(person_id, person.org_unit_id, await _sector(session, unit, units)))
    return Cohort(members, people, units)


async def history(
    session: AsyncSession, exclude: uuid.UUID | None, people: set[uuid.UUID]
) -> dict[algorithm.Pair, int]:
    """How often each pair of these people shared a group in other confirmed rounds."""
    groups: dict[tuple[uuid.UUID, int], list[uuid.UUID]] = defaultdict(list)
    for round_id, number, person_id in await repository.confirmed_memberships(
        session, people, exclude=exclude
    ):
        groups[(round_id, number)].append(person_id)
    counts: dict[algorithm.Pair, int] = defaultdict(int)
    for members in groups.values():
        ordered = sorted(members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                counts[(a, b)] += 1
    return dict(counts)


async def agencies_met(session: AsyncSession, exclude: uuid.UUID | None) -> frozenset[algorithm.Pair]:
    """The pairs of agencies whose leaders have met in the programme's groups and sessions so far (the
    collaboration measure's history), leaving out round `exclude`'s own groups."""
    rows = await insight.present(
        session, MEETING_KINDS, EVER.starts_at, EVER.ends_at, clock.now(), exclude_round=exclude
    )
    return frozenset(meetings(rows))


async def rules(
    session: AsyncSession,
    round_id: uuid.UUID | None,
    people: set[uuid.UUID],
    pins: Sequence[ReflectionPin] = (),
) -> algorithm.Constraints:
    """What a division of `people` is scored by: the coordinator's pins, the pairs of people who shared a
    group in other confirmed rounds, and the pairs of agencies that have met."""
    return algorithm.Constraints(
        together=frozenset((p.person_a, p.person_b) for p in pins if p.kind == PinKind.together),
        apart=frozenset((p.person_a, p.person_b) for p in pins if p.kind == PinKind.apart),
        history=await history(session, round_id, people),
        agencies_met=await agencies_met(session, round_id),
    )


async def load(session: AsyncSession, round_id: uuid.UUID, *, lock: bool = False) -> Loaded:
    found = await repository.round_by_id(session, round_id, lock=lock)
    if found is None:
        raise RoundNotFound(f"No reflection round {round_id}.")
    groups: dict[int, list[uuid.UUID]] = defaultdict(list)
    for member in await repository.members(session, round_id):
        groups[member.group_number].append(member.person_id)
    pins = await repository.pins(session, round_id)
    return Loaded(found, dict(groups), pins)


async def _store_groups(
    session: AsyncSession, round_id: uuid.UUID, groups: dict[int, list[uuid.UUID]]
) -> None:
    await repository.replace_members(session, round_id, groups.items())


def _numbered(groups: Sequence[Sequence[uuid.UUID]]) -> dict[int, list[uuid.UUID]]:
    return {i + 1: sorted(g) for i, g in enumerate(g for g in groups if g)}


async def create(
    session: AsyncSession, principal: Principal, offering_id: uuid.UUID, body: RoundCreate
) -> ReflectionRound:
    offering = await session.get(OfferingView, offering_id)
    if offering is None:
        raise NotFound(f"No offering {offering_id}.")
    if offering.kind_code != REFLECTION_KIND:
        raise NotReflectionGroups(
            f"{offering.title!r} is a {offering.kind_code}, not a reflection-group offering."
        )
    people = await cohort(session, offering_id)
    if not people.members:
        raise NoParticipants("Nobody holds a confirmed place in the offering's sessions yet.")
    scoring = await rules(session, None, {m.person_id for m in people.members})
    groups = algorithm.propose(people.members, body.min_size, body.max_size, body.seed, scoring)
    created = ReflectionRound(
        offering_id=offering_id,
        min_size=body.min_size,
        max_size=body.max_size,
        seed=body.seed,
        created_by_oid=principal.oid,
    )
    session.add(created)
    await session.flush()
    await _store_groups(session, created.id, _numbered(groups))
    return created


def _draft(loaded: Loaded) -> None:
    if loaded.round.status != RoundStatus.draft:
        raise RoundConfirmed("A confirmed round changes only through an adjustment (POST …/adjustment).")


def _bump(loaded: Loaded) -> None:
    loaded.round.version += 1


async def repropose(session: AsyncSession, round_id: uuid.UUID, seed: int | None) -> None:
    """A fresh proposal for the round's current participants, keeping its pins."""
    loaded = await load(session, round_id, lock=True)
    _draft(loaded)
    people = await cohort(session, loaded.round.offering_id)
    if not people.members:
        raise NoParticipants("Nobody holds a confirmed place in the offering's sessions any more.")
    scoring = await rules(session, round_id, {m.person_id for m in people.members}, loaded.pins)
    if seed is not None:
        loaded.round.seed = seed
    groups = algorithm.propose(
        people.members,
        loaded.round.min_size,
        loaded.round.max_size,
        loaded.round.seed,
        scoring,
    )
    await _store_groups(session, round_id, _numbered(groups))
    _bump(loaded)


async def move(session: AsyncSession, round_id: uuid.UUID, person_id: uuid.UUID, group: int) -> None:
    loaded = await load(session, round_id, lock=True)
    _draft(loaded)
    numbers, _ = loaded.as_lists()
    where = {p: n for n, members in loaded.groups.items() for p in members}
    if person_id not in where:
        raise NotInRound(f"{person_id} is not in this round.")
    following = max(numbers, default=0) + 1
    if group not in loaded.groups and group != following:
        raise NotInRound(f"No group {group}: name a group of the round, or {following} for a new one.")
    groups = {n: [p for p in members if p != person_id] for n, members in loaded.groups.items()}
    groups.setdefault(group, []).append(person_id)
    await _store_groups(session, round_id, _numbered([groups[n] for n in sorted(groups)]))
    _bump(loaded)


async def set_pins(session: AsyncSession, round_id: uuid.UUID, pins: Pins) -> None:
    loaded = await load(session, round_id, lock=True)
    _draft(loaded)
    members = {p for g in loaded.groups.values() for p in g}
    strangers = sorted({p for pair in [*pins.together, *pins.apart] for p in pair} - members, key=str)
    if strangers:
        raise NotInRound(f"Not in this round: {', '.join(map(str, strangers))}.")
    await repository.delete_pins(session, round_id)
    rows = {
        algorithm.pair(a, b): kind
        for kind, pairs in ((PinKind.together, pins.together), (PinKind.apart, pins.apart))
        for a, b in pairs
    }
    session.add_all(
        ReflectionPin(round_id=round_id, person_a=a, person_b=b, kind=k) for (a, b), k in rows.items()
    )
    await session.flush()
    _bump(loaded)


def _groups_payload(groups: dict[int, list[uuid.UUID]]) -> list[ReflectionGroup]:
    return [ReflectionGroup(number=n, member_ids=groups[n]) for n in sorted(groups)]


async def confirm(session: AsyncSession, principal: Principal, round_id: uuid.UUID) -> None:
    loaded = await load(session, round_id, lock=True)
    _draft(loaded)
    loaded.round.status = RoundStatus.confirmed
    loaded.round.confirmed_at = clock.now()
    loaded.round.confirmed_by_oid = principal.oid
    _bump(loaded)
    await session.flush()
    await publish(
        session,
        ReflectionGroupsConfirmed(
            round_id=round_id, offering_id=loaded.round.offering_id, groups=_groups_payload(loaded.groups)
        ),
        source=SOURCE,
        aggregate_id=round_id,
        aggregate_version=loaded.round.version,
    )


async def adjust(session: AsyncSession, round_id: uuid.UUID) -> list[ReflectionChange]:
    """Apply the fewest moves that take in late enrollments and cancellations, and publish them for a
    confirmed round (a preview runs this in a savepoint and rolls it back)."""
    loaded = await load(session, round_id, lock=True)
    people = await cohort(session, loaded.round.offering_id)
    scoring = await rules(session, round_id, {m.person_id for m in people.members}, loaded.pins)
    numbers, lists = loaded.as_lists()
    adjusted, raw = algorithm.adjust(
        lists, people.members, loaded.round.min_size, loaded.round.max_size, scoring
    )
    extra = iter(range((max(numbers) if numbers else 0) + 1, 10**9))
    number_of = {i: numbers[i] if i < len(numbers) else next(extra) for i in range(len(adjusted))}
    groups = {number_of[i]: sorted(g) for i, g in enumerate(adjusted) if g}
    changes = [
        ReflectionChange(
            person_id=p,
            from_group=number_of[a] if a is not None else None,
            to_group=number_of[b] if b is not None else None,
        )
        for p, a, b in raw
    ]
    if changes:
        await _store_groups(session, round_id, groups)
        _bump(loaded)
        await session.flush()
        if loaded.round.status == RoundStatus.confirmed:
            await publish(
                session,
                ReflectionGroupsChanged(
                    round_id=round_id,
                    offering_id=loaded.round.offering_id,
                    changes=changes,
                    groups=_groups_payload(groups),
                ),
                source=SOURCE,
                aggregate_id=round_id,
                aggregate_version=loaded.round.version,
            )
    return changes


async def rounds_of(session: AsyncSession, offering_id: uuid.UUID) -> list[ReflectionRound]:
    return await repository.rounds_of(session, offering_id)


async def confirmed_rounds_of(
    session: AsyncSession, person_id: uuid.UUID
) -> list[tuple[ReflectionMember, ReflectionRound]]:
    return await repository.confirmed_rounds_of(session, person_id)

"""Coverage: which top-leader groups and top leaders took part in which kinds of offering in a period,
which did not, how far each group is through a programme taken as a group, and the trend over years.

A group counts as having taken part when its top leader or any member did (a confirmed place in a
session of the period); the top leader is also shown alone. Levels: enrolled, attended (marked present),
completed (a completion recorded in the period).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.insight import repository
from services.enrollment.insight.schemas import (
    CoverageReport,
    GroupCoverage,
    GroupRef,
    KindTotals,
    LeaderCoverage,
    Period,
    PeriodPublic,
    ProgrammeProgress,
    Reach,
    YearTrend,
)

LEVELS = ("enrolled", "attended", "completed")


def _merge(reaches: Iterable[Reach]) -> list[Reach]:
    """The furthest any of several people came, per kind."""
    best: dict[str, Reach] = {}
    for r in reaches:
        known = best.get(r.kind)
        best[r.kind] = (
            r
            if known is None
            else Reach(
                kind=r.kind,
                enrolled=True,
                attended=known.attended or r.attended,
                completed=known.completed or r.completed,
            )
        )
    return [best[kind] for kind in sorted(best)]


async def coverage(session: AsyncSession, period: Period, sector: str | None) -> CoverageReport:
    groups = await repository.groups(session, sector)
    ids = [g.group_id for g in groups]
    people: dict[uuid.UUID, set[uuid.UUID]] = {g.group_id: {g.leader_id} - {None} for g in groups}
    for m in await repository.members(session, ids):
        people[m.group_id].add(m.person_id)
    everyone = sorted({p for group in people.values() for p in group})
    by_person: dict[uuid.UUID, list[Reach]] = defaultdict(list)
    for row in await repository.reach(session, everyone, period.starts_at, period.ends_at):
        by_person[row.person_id].append(
            Reach(kind=row.kind, enrolled=True, attended=row.attended, completed=row.completed)
        )
    shown = []
    for g in groups:
        kinds = _merge(r for p in sorted(people[g.group_id]) for r in by_person.get(p, []))
        leader = (
            LeaderCoverage(
                person_id=g.leader_id,
                name=g.leader_name or "",
                reached=bool(by_person.get(g.leader_id)),
                kinds=sorted(by_person.get(g.leader_id, []), key=lambda r: r.kind),
            )
            if g.leader_id is not None
            else None
        )
        shown.append(
            GroupCoverage(
                leader_group_id=g.group_id,
                name=g.name,
                org_unit_id=g.org_unit_id,
                org_unit=g.org_unit,
                sector=g.sector,
                reached=bool(kinds),
                kinds=kinds,
                leader=leader,
            )
        )
    return CoverageReport(
        period=PeriodPublic(name=period.name, starts_at=period.starts_at, ends_at=period.ends_at),
        sector=sector,
        groups_total=len(shown),
        groups_reached=sum(g.reached for g in shown),
        leaders_total=sum(g.leader is not None for g in shown),
        leaders_reached=sum(bool(g.leader and g.leader.reached) for g in shown),
        by_kind=_totals(shown),
        groups=shown,
        not_reached=[GroupRef.model_validate(g.model_dump()) for g in shown if not g.reached],
        programmes=[
            ProgrammeProgress(
                leader_group_id=row.leader_group_id,
                group=next(g.name for g in groups if g.group_id == row.leader_group_id),
                offering_id=row.offering_id,
                offering_title=row.offering_title,
                sessions_attended=row.sessions_attended,
                sessions_total=row.sessions_total,
            )
            for row in await repository.programmes(session, ids, period.starts_at, period.ends_at)
        ],
        trend=await _trend(session, people, {g.leader_id for g in groups if g.leader_id}, period),
    )


def _totals(groups: list[GroupCoverage]) -> list[KindTotals]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in groups:
        for who, reaches in (("groups", g.kinds), ("leaders", g.leader.kinds if g.leader else [])):
            for r in reaches:
                for level in LEVELS:
                    counts[r.kind][f"{who}_{level}"] += int(getattr(r, level))
    return [KindTotals(kind=kind, **{k: counts[kind][k] for k in KIND_FIELDS}) for kind in sorted(counts)]


KIND_FIELDS = [f"{who}_{level}" for who in ("groups", "leaders") for level in LEVELS]


async def _trend(
    session: AsyncSession,
    people: dict[uuid.UUID, set[uuid.UUID]],
    leaders: set[uuid.UUID],
    period: Period,
) -> list[YearTrend]:
    everyone = sorted({p for group in people.values() for p in group})
    taken: dict[int, dict[uuid.UUID, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in await repository.years(session, everyone, period.ends_at):
        taken[row.year][row.person_id].add(row.kind)
    if not taken:
        return []
    trend = []
    for year in range(min(taken), (period.ends_at - timedelta(seconds=1)).year + 1):
        per_person = taken.get(year, {})
        by_kind: dict[str, int] = defaultdict(int)
        for members in people.values():
            for kind in set().union(*(per_person.get(p, set()) for p in members)):
                by_kind[kind] += 1
        trend.append(
            YearTrend(
                year=year,
                groups_reached=sum(1 for members in people.values() if any(p in per_person for p in members)),
                leaders_reached=sum(1 for leader in leaders if leader in per_person),
                groups_by_kind=dict(sorted(by_kind.items())),
            )
        )
    return trend


def people_in(report: CoverageReport) -> list[uuid.UUID]:
    """The people a coverage report names: the groups' top leaders (members are counted, not named)."""
    return [g.leader.person_id for g in report.groups if g.leader is not None]

"""Collaboration across agencies, the programme's own measure: which pairs of agencies (and sectors)
have had leaders in the same reflection group or session, how often, first and last; how many new
cross-agency pairs each term added; and which agencies have met nobody outside their sector.

An occasion is a held session of the chosen kinds (people with a confirmed place who were not marked
absent or excused) or a group of a confirmed reflection round (dated by its confirmation). An agency is
the org unit a person belongs to now. One-to-one coaching never pairs anyone; professional days are left
out by default: hundreds of leaders in one hall is not a meeting between agencies.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.coaching.coaches import term_of
from services.enrollment.insight import repository
from services.enrollment.insight.schemas import (
    Agency,
    AgencyPair,
    AgencyReach,
    CollaborationReport,
    Period,
    PeriodPublic,
    SectorPair,
    TermNewPairs,
)
from services.kernel import clock

EVER = Period(name="", starts_at=datetime(1970, 1, 1, tzinfo=UTC), ends_at=datetime(9999, 1, 1, tzinfo=UTC))


@dataclass
class _Met:
    occasions: int
    first: datetime
    last: datetime


def meetings(rows: Sequence[Any]) -> dict[tuple[uuid.UUID, uuid.UUID], _Met]:
    """Per pair of agencies (in id order): the occasions both were at, the first and the last."""
    at: dict[str, datetime] = {}
    units: dict[str, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        at[row.occasion] = row.at
        units[row.occasion].append(row.unit)
    met: dict[tuple[uuid.UUID, uuid.UUID], _Met] = {}
    for occasion, present in units.items():
        when = at[occasion]
        for a, b in combinations(sorted(present), 2):
            known = met.get((a, b))
            if known is None:
                met[(a, b)] = _Met(1, when, when)
            else:
                known.occasions += 1
                known.first, known.last = min(known.first, when), max(known.last, when)
    return met


async def collaboration(
    session: AsyncSession, period: Period | None, kinds: list[str]
) -> CollaborationReport:
    window = period or EVER
    rows = await repository.present(session, kinds, window.starts_at, window.ends_at, clock.now())
    known = {
        row.id: Agency(org_unit_id=row.id, name=row.name, sector=row.sector)
        for row in await repository.agencies(session, sorted({row.unit for row in rows}))
    }
    pairs = [
        AgencyPair(
            a=known[a],
            b=known[b],
            cross_sector=known[a].sector != known[b].sector,
            occasions=m.occasions,
            first_met=m.first,
            last_met=m.last,
        )
        for (a, b), m in meetings(rows).items()
    ]
    met: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    outside: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for p in pairs:
        for one, other in ((p.a, p.b), (p.b, p.a)):
            met[one.org_unit_id].add(other.org_unit_id)
            if p.cross_sector:
                outside[one.org_unit_id].add(other.org_unit_id)
    agencies = [
        AgencyReach(
            **agency.model_dump(),
            agencies_met=len(met[agency.org_unit_id]),
            agencies_met_outside_sector=len(outside[agency.org_unit_id]),
        )
        for agency in known.values()
    ]
    return CollaborationReport(
        period=PeriodPublic(name=period.name, starts_at=period.starts_at, ends_at=period.ends_at)
        if period
        else None,
        kinds=kinds,
        agencies=agencies,
        pairs=sorted(pairs, key=lambda p: (-p.occasions, p.a.name, p.b.name)),
        sectors=_sectors(pairs),
        new_pairs_by_term=_new_by_term(pairs),
        met_nobody_outside_sector=[
            Agency.model_validate(a.model_dump()) for a in agencies if not a.agencies_met_outside_sector
        ],
    )


def _sectors(pairs: list[AgencyPair]) -> list[SectorPair]:
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for p in pairs:
        a, b = sorted((p.a.sector or "", p.b.sector or ""))
        totals[(a, b)][0] += 1
        totals[(a, b)][1] += p.occasions
    return [
        SectorPair(a=a, b=b, agency_pairs=count, occasions=occasions)
        for (a, b), (count, occasions) in sorted(totals.items())
    ]


def _new_by_term(pairs: list[AgencyPair]) -> list[TermNewPairs]:
    terms: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in pairs:
        counts = terms[term_of(p.first_met)]
        counts[0] += 1
        counts[1] += int(p.cross_sector)
    return [
        TermNewPairs(term=term, new_pairs=new, new_cross_sector_pairs=cross)
        for term, (new, cross) in sorted(terms.items())
    ]

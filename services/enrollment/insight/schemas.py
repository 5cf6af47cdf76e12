"""API schemas of the programme's insight: coverage of the top-leader groups and collaboration across
agencies."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from services.kernel.schemas import OSLO, OsloDatetime

# Years the programme's records can have (and datetime can hold a term of): 1970 to 2999.
PERIOD_PATTERN = r"^(19[7-9][0-9]|2[0-9]{3})(-(spring|autumn))?$"
PERIOD_DESCRIPTION = (
    'A year ("2027") or a term: "2027-spring" (January to June) or "2027-autumn" (July to December), in '
    "Oslo time. Default: this year."
)


@dataclass(frozen=True)
class Period:
    name: str
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def parse(cls, name: str) -> Period:
        """A year or a half-year (`PERIOD_PATTERN`, checked by the query parameter)."""
        match = re.fullmatch(PERIOD_PATTERN.removeprefix("^").removesuffix("$"), name)
        if match is None:
            raise ValueError(f"not a period: {name!r}")
        year, half = int(match.group(1)), match.group(3)
        start_month = 7 if half == "autumn" else 1
        end_year, end_month = (year, 7) if half == "spring" else (year + 1, 1)
        return cls(
            name=name,
            starts_at=datetime(year, start_month, 1, tzinfo=OSLO),
            ends_at=datetime(end_year, end_month, 1, tzinfo=OSLO),
        )


PeriodQuery = Annotated[
    str | None, Query(pattern=PERIOD_PATTERN, description=PERIOD_DESCRIPTION, examples=["2027"])
]
SectorQuery = Annotated[
    str | None,
    Query(max_length=100, description="Only the groups (agencies) of this sector, as HR names it."),
]


class PeriodPublic(BaseModel):
    name: str
    starts_at: OsloDatetime
    ends_at: OsloDatetime = Field(description="Exclusive.")


class Reach(BaseModel):
    """How far someone (or a group) came with a kind of offering in the period: enrolled (a confirmed
    place in a session in the period), attended (marked present) and completed (a completion recorded
    in the period). Each implies the one before."""

    kind: str
    enrolled: bool
    attended: bool
    completed: bool


class LeaderCoverage(BaseModel):
    person_id: uuid.UUID
    name: str
    reached: bool = Field(description="Enrolled in anything in the period.")
    kinds: list[Reach]


class GroupRef(BaseModel):
    leader_group_id: uuid.UUID
    name: str
    org_unit_id: uuid.UUID | None
    org_unit: str | None
    sector: str | None


class GroupCoverage(GroupRef):
    reached: bool = Field(description="Its top leader or a member was enrolled in anything in the period.")
    kinds: list[Reach] = Field(
        description="What the group's people (top leader or members) reached, by kind."
    )
    leader: LeaderCoverage | None = Field(description="The group's top leader on their own.")


class KindTotals(BaseModel):
    kind: str
    groups_enrolled: int
    groups_attended: int
    groups_completed: int
    leaders_enrolled: int
    leaders_attended: int
    leaders_completed: int


class ProgrammeProgress(BaseModel):
    """A group's way through a programme taken as a group (leader-group development): sessions at
    which at least one of its people was marked present, of the programme's sessions."""

    leader_group_id: uuid.UUID
    group: str
    offering_id: uuid.UUID
    offering_title: str
    sessions_attended: int
    sessions_total: int


class YearTrend(BaseModel):
    year: int
    groups_reached: int
    leaders_reached: int
    groups_by_kind: dict[str, int] = Field(description="Groups with a confirmed place, by kind of offering.")


class CoverageReport(BaseModel):
    """Which top-leader groups and top leaders took part in which kinds of offering, and which did not."""

    period: PeriodPublic
    sector: str | None
    groups_total: int
    groups_reached: int
    leaders_total: int
    leaders_reached: int
    by_kind: list[KindTotals]
    groups: list[GroupCoverage]
    not_reached: list[GroupRef] = Field(description="The groups none of whose people took part.")
    programmes: list[ProgrammeProgress]
    trend: list[YearTrend] = Field(description="Every year from the first session to the period's.")


MEETING_KINDS = ["reflection-group", "leader-group-development", "leader-group-workshop", "theme-gathering"]
KindsQuery = Annotated[
    list[Annotated[str, Query(max_length=64)]],
    Query(
        max_length=20,
        description="Kinds of offering whose sessions count as meeting. Default: reflection groups, "
        "leader-group development, workshops and theme gatherings.",
    ),
]


class Agency(BaseModel):
    org_unit_id: uuid.UUID
    name: str
    sector: str | None


class AgencyPair(BaseModel):
    a: Agency
    b: Agency
    cross_sector: bool = Field(description="The two agencies are in different sectors.")
    occasions: int = Field(description="Sessions and reflection groups where leaders of both took part.")
    first_met: OsloDatetime
    last_met: OsloDatetime


class SectorPair(BaseModel):
    a: str
    b: str = Field(description="The same as `a` for meetings within a sector.")
    agency_pairs: int
    occasions: int


class TermNewPairs(BaseModel):
    term: str = Field(description='"2027-spring" or "2027-autumn".')
    new_pairs: int = Field(description="Agency pairs that met for the first time in the term.")
    new_cross_sector_pairs: int


class AgencyReach(Agency):
    agencies_met: int
    agencies_met_outside_sector: int


class CollaborationReport(BaseModel):
    """Which agencies' leaders have met in the programme's groups and sessions: the programme's own
    measure of collaboration across agencies. Built from enrolment and attendance only, never from
    feedback."""

    period: PeriodPublic | None = Field(description="Null: every occasion so far.")
    kinds: list[str]
    agencies: list[AgencyReach]
    pairs: list[AgencyPair]
    sectors: list[SectorPair]
    new_pairs_by_term: list[TermNewPairs]
    met_nobody_outside_sector: list[Agency] = Field(
        description="The programme's agencies (those of the top-leader groups, and any that took part) "
        "whose leaders have met no agency of another sector."
    )

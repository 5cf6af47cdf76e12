"""API schemas of reflection rounds."""

from __future__ import annotations

import uuid
from typing import Self

from pydantic import ConfigDict, Field, model_validator

from services.kernel.paging import Page
from services.kernel.schemas import OsloDatetime, ReadModel, WriteModel

PersonPair = tuple[uuid.UUID, uuid.UUID]


class RoundCreate(WriteModel):
    min_size: int = Field(default=5, ge=2, le=50, description="Fewest members of a group.")
    max_size: int = Field(default=7, ge=2, le=50, description="Most members of a group.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Same participants and seed, same groups.")

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.min_size > self.max_size:
            raise ValueError("min_size must not exceed max_size")
        return self


class Reproposal(WriteModel):
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Default: the round's seed.")


class Move(WriteModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"person_id": "5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18", "group": 2}]}
    )

    person_id: uuid.UUID
    group: int = Field(
        ge=1, le=10_000, description="A group's number, or one more than the last: a new group."
    )


class Pins(WriteModel):
    """Replaces the round's pins. Each pair names two different participants of the round."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "together": [],
                    "apart": [
                        ["5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18", "7e3a1c5b-9d2f-4a68-8c0e-4b1f6d2a9e57"]
                    ],
                }
            ]
        }
    )

    together: list[PersonPair] = Field(default_factory=list, max_length=500)
    apart: list[PersonPair] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _pairs(self) -> Self:
        for a, b in [*self.together, *self.apart]:
            if a == b:
                raise ValueError("a pin names two different people")
        together = {frozenset(p) for p in self.together}
        if together & {frozenset(p) for p in self.apart}:
            raise ValueError("a pair cannot be pinned both together and apart")
        return self


class ReflectionMemberPublic(ReadModel):
    person_id: uuid.UUID
    name: str
    org_unit_id: uuid.UUID | None
    org_unit_name: str | None
    sector: str | None


class GroupPublic(ReadModel):
    number: int
    size: int
    sectors: dict[str, int] = Field(description="Members per sector.")
    members: list[ReflectionMemberPublic]


class UnitConflict(ReadModel):
    group: int
    org_unit_id: uuid.UUID
    person_ids: list[uuid.UUID]


class BrokenPin(ReadModel):
    kind: str
    person_ids: PersonPair


class RepeatedPair(ReadModel):
    group: int
    person_ids: PersonPair
    times: int = Field(description="Earlier confirmed rounds in which the two shared a group.")


class SizeViolation(ReadModel):
    group: int
    size: int


class QualityPublic(ReadModel):
    ok: bool = Field(description="No colleagues together, no broken pin, every size within range.")
    cost: float = Field(description="The optimised total (lower is better; see the algorithm's weights).")
    unit_conflicts: list[UnitConflict]
    pins_broken: list[BrokenPin]
    repeated_pairs: list[RepeatedPair]
    size_violations: list[SizeViolation]
    sector_spread: float = Field(
        description="Sum over groups of squared deviation from the cohort's sector mix."
    )
    agency_pairs_met: int = Field(
        description="Pairs of agencies in the same group whose leaders have met before in the programme "
        "(GET /insight/collaboration): the proposal keeps them few."
    )


class RoundPublic(ReadModel):
    id: uuid.UUID
    offering_id: uuid.UUID
    status: str
    min_size: int
    max_size: int
    seed: int
    version: int
    created_at: OsloDatetime
    confirmed_at: OsloDatetime | None
    participants: int
    pins: Pins
    groups: list[GroupPublic]
    quality: QualityPublic


class ReflectionChangePublic(ReadModel):
    person_id: uuid.UUID
    from_group: int | None
    to_group: int | None


class AdjustmentPublic(ReadModel):
    applied: bool
    changes: list[ReflectionChangePublic]
    round: RoundPublic


class MyGroupPublic(ReadModel):
    round_id: uuid.UUID
    offering_id: uuid.UUID
    offering_title: str | None
    group: int
    members: list[ReflectionMemberPublic]


class RoundPage(Page[RoundPublic]):
    """A page of an offering's reflection rounds."""


class MyGroupPage(Page[MyGroupPublic]):
    """A page of the signed-in person's reflection groups."""

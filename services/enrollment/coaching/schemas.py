"""API schemas of coaching on request."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from pydantic import Field

from services.enrollment.coaching.models import CoachKind, RequestState
from services.kernel.languages import Language
from services.kernel.paging import Page
from services.kernel.schemas import SINGLE_LINE, OsloDatetime, PatchModel, ReadModel, WriteModel

EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"


class CoachCreate(WriteModel):
    model_config = WriteModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Jon Berg",
                    "email": "jon.berg@uke.oslo.kommune.no",
                    "organisation": "UKE",
                    "kind": "internal",
                    "capacity_per_term": 6,
                }
            ]
        }
    }

    name: str = Field(min_length=1, max_length=200, pattern=SINGLE_LINE)
    email: str = Field(pattern=EMAIL, max_length=254)
    organisation: str = Field(default="", max_length=200, pattern=SINGLE_LINE)
    kind: CoachKind
    entra_oid: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=SINGLE_LINE,
        description="The coach's sign-in (Entra object id), so they see the requests assigned to them.",
    )
    capacity_per_term: int = Field(ge=0, le=100, description="Requests per term (half-year) at most.")
    language: Language = Language.nb


class CoachUpdate(PatchModel):
    """Fields to change; those left out stay, and `null` removes the sign-in."""

    clearable: ClassVar[frozenset[str]] = frozenset({"entra_oid"})
    model_config = WriteModel.model_config | {
        "json_schema_extra": {"examples": [{"capacity_per_term": 8, "email": "jon.berg@uke.oslo.kommune.no"}]}
    }

    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=SINGLE_LINE)
    email: str | None = Field(default=None, pattern=EMAIL, max_length=254)
    organisation: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE)
    entra_oid: str | None = Field(default=None, min_length=1, max_length=64, pattern=SINGLE_LINE)
    capacity_per_term: int | None = Field(default=None, ge=0, le=100)
    language: Language | None = None
    active: bool | None = None


class CoachLoad(ReadModel):
    term: str = Field(description='A half-year, "2027-spring" (January to June) or "2027-autumn".')
    assigned: int = Field(
        description="Requests assigned to the coach in the term (withdrawn and declined "
        "ones only when a session had been scheduled)."
    )
    capacity: int
    available: int


class CoachPublic(ReadModel):
    id: uuid.UUID
    name: str
    email: str
    organisation: str
    kind: CoachKind
    entra_oid: str | None
    capacity_per_term: int
    language: Language
    active: bool
    open_requests: int = Field(description="Requests assigned to the coach and not yet completed.")
    load: list[CoachLoad] = Field(description="This term and the next.")


class CoachPage(Page[CoachPublic]):
    """A page of coaches, by name."""


class CoachingRequestCreate(WriteModel):
    model_config = WriteModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "offering_id": "5f0c6a8e-2c1b-4f7e-9a57-3b0e1c2d4f60",
                    "note": "Ny i rollen; vil gjerne snakke om prioriteringer i ledergruppen.",
                    "preferred_times": "Tirsdager eller torsdager etter kl. 14",
                }
            ]
        }
    }

    offering_id: uuid.UUID = Field(description="The coaching offering asked for.")
    note: str = Field(
        default="", max_length=2000, description="What about (seen only by you, coordinators and your coach)."
    )
    preferred_times: str = Field(default="", max_length=500, pattern=SINGLE_LINE)


class CoachAssignment(WriteModel):
    coach_id: uuid.UUID


class CoachingSessionAdd(WriteModel):
    session_id: uuid.UUID = Field(
        description="A one-seat session of the coaching offering, scheduled in the catalogue for this "
        "request; the leader gets its place."
    )


class Decline(WriteModel):
    reason: str = Field(min_length=1, max_length=1000)


class CoachingRequestChangePublic(ReadModel):
    action: str
    from_state: RequestState | None
    to_state: RequestState
    actor_oid: str
    at: OsloDatetime | None
    details: dict[str, Any]


class CoachSummary(ReadModel):
    id: uuid.UUID
    name: str
    email: str
    organisation: str
    kind: CoachKind


class CoachingRequestPublic(ReadModel):
    id: uuid.UUID
    offering_id: uuid.UUID
    offering_title: str
    person_id: uuid.UUID
    person_name: str
    note: str
    preferred_times: str
    state: RequestState
    coach: CoachSummary | None
    term: str | None
    reason: str | None
    session_ids: list[uuid.UUID]
    created_at: OsloDatetime | None
    updated_at: OsloDatetime | None
    history: list[CoachingRequestChangePublic]


class CoachingRequestPage(Page[CoachingRequestPublic]):
    """A page of coaching requests, newest first."""

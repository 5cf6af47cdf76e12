"""Tables of templates, surveys, invitations, sealed ballots and anonymous responses.

The anonymity lives here: `Response` has no person, no invitation and no timestamp; it gets its rows
only when its survey closes, all in one transaction in random order (see `sealing.py`). `Invitation`
records only that it was used. Ids of ballots and responses are random (UUID v4), never time-ordered.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.kernel.models import TableBase, enum_field, server_timestamp


class SurveyStatus(StrEnum):
    open = "open"
    closed = "closed"


class SurveyTemplate(TableBase, table=True):
    """One published version of a template: never changed; editing makes the next version."""

    __tablename__ = "survey_templates"
    __table_args__ = (UniqueConstraint("key", "version"), {"schema": "feedback"})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    key: str = Field(max_length=40, index=True)
    version: int
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    title_en: str | None = Field(default=None, max_length=200)
    description_en: str | None = Field(default=None, max_length=2000)
    questions: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    ballot_size: int
    created_by: str = Field(max_length=64)
    created_at: datetime = server_timestamp()


class Survey(TableBase, table=True):
    __tablename__ = "surveys"
    __table_args__ = (
        # What the closing job looks for: open surveys by closing time.
        Index("ix_surveys_open_until", "open_until", postgresql_where=text("status = 'open'")),
        {"schema": "feedback"},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    template_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("feedback.survey_templates.id"), nullable=False)
    )
    kind: str = Field(max_length=30)
    title: str = Field(max_length=300)
    title_en: str | None = Field(default=None, max_length=300)
    session_id: uuid.UUID | None = Field(default=None, index=True)
    offering_id: uuid.UUID | None = Field(default=None, index=True)
    leader_group_id: uuid.UUID | None = Field(default=None, index=True)
    # Set on surveys opened by events, so a replayed event finds its survey instead of opening another.
    origin_key: str | None = Field(default=None, max_length=120, unique=True)
    status: SurveyStatus = enum_field(SurveyStatus.open, length=10)
    opened_by: str = Field(max_length=64)
    opened_at: datetime = server_timestamp()
    open_until: datetime = Field(sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    closed_by: str | None = Field(default=None, max_length=64)
    responses: int = Field(default=0, description="Responses released when the survey closed.")
    # How many were invited, counted when the survey closes: its invitations go a year after.
    invited: int | None = None
    # When the reminder went to those without a credential (once per survey).
    reminded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Invitation(TableBase, table=True):
    """Who may answer a survey, and whether they were given a credential to answer with. Whether they
    answered is not known here: the credential is signed blind, and the answer comes without a name."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("survey_id", "person_id"), {"schema": "feedback"})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    survey_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("feedback.surveys.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    person_id: uuid.UUID = Field(index=True)
    # One credential per invitation. The hash of the blinded message it was signed for lets the same
    # request, repeated after a lost answer, get its signature again; any other request is refused.
    credential_issued: bool = False
    credential_request: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # Withdrawn by an attendance correction: kept (a credential once issued stays counted), not shown.
    withdrawn: bool = False
    invited_at: datetime = server_timestamp()


class SurveyKey(TableBase, table=True):
    """A survey's blind-signing key pair (`answering/blindrsa.py`): the public half for invitees'
    clients; the private half sealed under the ballot key while the survey is open, erased when it
    closes."""

    __tablename__ = "survey_keys"
    __table_args__ = {"schema": "feedback"}

    survey_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("feedback.surveys.id", ondelete="CASCADE"), primary_key=True)
    )
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sealed_private_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class SealedBallot(TableBase, table=True):
    """An answer waiting for its survey to close, encrypted and padded (no timestamp, no link). Written
    by a request that names nobody; `token_hash` (SHA-256 of the spent token) makes a credential
    answer once."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("survey_id", "token_hash"), {"schema": "feedback"})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    survey_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("feedback.surveys.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    token_hash: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Response(TableBase, table=True):
    """One anonymous response: what was answered, and the unit and sector it counts for where enough
    people of that unit or sector answered the survey (otherwise left out; see `anonymity.py`)."""

    __tablename__ = "responses"
    __table_args__ = {"schema": "feedback"}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    survey_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("feedback.surveys.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    org_unit_id: uuid.UUID | None = Field(default=None, index=True)
    sector: str | None = Field(default=None, max_length=200, index=True)
    answers: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))

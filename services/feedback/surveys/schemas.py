"""API schemas of templates, surveys and invitations."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Self

from pydantic import ConfigDict, Field, model_validator

from services.feedback.surveys.questions import TEMPLATE_EXAMPLE, Question, Slug, TemplateDraft
from services.kernel import clock
from services.kernel.paging import Page
from services.kernel.schemas import SINGLE_LINE, OsloDatetime, ReadModel, WriteModel


class TemplateCreate(TemplateDraft):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"key": "samlingsevaluering", **TEMPLATE_EXAMPLE}]}
    )

    key: Slug = Field(description="Stable name of the template; its versions share it.")


class TemplatePublic(ReadModel):
    id: uuid.UUID
    key: str
    version: int
    title: str
    description: str | None
    title_en: str | None
    description_en: str | None
    questions: list[Question]
    created_by: str
    created_at: OsloDatetime


class SurveyKind(StrEnum):
    session_evaluation = "session-evaluation"
    baseline = "baseline"
    follow_up = "follow-up"
    custom = "custom"


class SurveyCreate(WriteModel):
    """Open a survey by hand for a session, an offering or a leader group (one of them; a group's survey
    may also name the offering it belongs to, and must for a baseline or follow-up)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "template_key": "samlingsevaluering",
                    "kind": "session-evaluation",
                    "session_id": "5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18",
                    "open_until": "2099-03-18T16:00:00+01:00",
                }
            ]
        }
    )

    template_key: Slug
    template_version: int | None = Field(default=None, ge=1, le=100_000, description="Default: the newest.")
    kind: SurveyKind = SurveyKind.custom
    title: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        pattern=SINGLE_LINE,
        description="Default: the template's.",
    )
    title_en: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        pattern=SINGLE_LINE,
        description="In English. Default: the template's English title, where it has one.",
    )
    session_id: uuid.UUID | None = None
    offering_id: uuid.UUID | None = None
    leader_group_id: uuid.UUID | None = None
    open_until: OsloDatetime

    @model_validator(mode="after")
    def _one_scope(self) -> Self:
        if self.session_id is not None and (self.offering_id or self.leader_group_id):
            raise ValueError("a session survey names only session_id")
        if self.session_id is None and self.offering_id is None and self.leader_group_id is None:
            raise ValueError("name session_id, offering_id or leader_group_id")
        pair = self.kind in (SurveyKind.baseline, SurveyKind.follow_up)
        if pair and (self.leader_group_id is None or self.offering_id is None):
            raise ValueError("a baseline or follow-up names leader_group_id and offering_id")
        if self.kind is SurveyKind.session_evaluation and self.session_id is None:
            raise ValueError("a session evaluation names session_id")
        if self.open_until <= clock.now():
            raise ValueError("open_until must lie in the future")
        return self


class SurveyExtend(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"open_until": "2099-03-25T16:00:00+01:00"}]})

    open_until: OsloDatetime

    @model_validator(mode="after")
    def _future(self) -> Self:
        if self.open_until <= clock.now():
            raise ValueError("open_until must lie in the future")
        return self


class SurveyPublic(ReadModel):
    id: uuid.UUID
    kind: str
    title: str
    title_en: str | None
    template_key: str
    template_version: int
    session_id: uuid.UUID | None
    offering_id: uuid.UUID | None
    leader_group_id: uuid.UUID | None
    status: str = Field(description="`open`, or `closed` once its answers are released as responses.")
    opened_by: str
    opened_at: OsloDatetime
    open_until: OsloDatetime
    closed_at: OsloDatetime | None
    invited: int = Field(
        description="Invitations not withdrawn. How many answered is not known while it is open."
    )
    responses: int = Field(
        description="Responses released at closing: 0 while open, and 0 when fewer than the anonymity "
        "threshold answered (then nothing was released, and no count is kept)."
    )


class TemplatePage(Page[TemplatePublic]):
    """A page of survey templates or of one template's versions."""


class SurveyPage(Page[SurveyPublic]):
    """A page of surveys."""

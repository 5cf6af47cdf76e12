"""API schemas of reports."""

from __future__ import annotations

import uuid

from pydantic import Field

from services.kernel.schemas import ReadModel


class OptionCount(ReadModel):
    key: str
    label: str
    count: int


class QuestionResult(ReadModel):
    key: str
    text: str
    type: str
    dimension: str | None
    answers: int | None = Field(
        description="Answers to this question among all selected responses (null when the report is "
        "suppressed: not even counts are shown then)."
    )
    n: int | None = Field(description="Answers the statistics are computed from (null when suppressed).")
    suppressed: bool
    mean: float | None = None
    distribution: dict[str, int] | None = Field(default=None, description="Scale: answers per value 1–5.")
    options: list[OptionCount] | None = None
    comments: list[str] | None = Field(default=None, description="Free text, in alphabetical order.")


class TemplateResult(ReadModel):
    key: str
    title: str
    responses: int
    questions: list[QuestionResult]


class DimensionResult(ReadModel):
    dimension: str
    n: int = Field(description="Respondents who answered at least one scale question of the dimension.")
    mean: float | None = Field(description="Mean of each respondent's average (null when suppressed).")


class Report(ReadModel):
    filters: dict[str, str]
    threshold: int
    surveys: int = Field(description="Closed surveys selected.")
    open_surveys: int = Field(description="Selected surveys still open: their answers come when they close.")
    responses: int = Field(description="Responses selected.")
    included: int = Field(
        description="Responses in the statistics: those of surveys with at least `threshold`."
    )
    suppressed: bool = Field(description="Fewer than `threshold` responses in the statistics: counts only.")
    notices: list[str]
    templates: list[TemplateResult]
    dimensions: list[DimensionResult]


class SurveySide(ReadModel):
    survey_id: uuid.UUID | None
    status: str | None
    responses: int


class DimensionChange(ReadModel):
    dimension: str
    label: str
    baseline_n: int
    baseline_mean: float | None
    follow_up_n: int
    follow_up_mean: float | None
    change: float | None = Field(description="Follow-up mean minus baseline mean, when both are shown.")


class BeforeAfter(ReadModel):
    leader_group_id: uuid.UUID
    offering_id: uuid.UUID
    threshold: int
    baseline: SurveySide
    follow_up: SurveySide
    notices: list[str]
    dimensions: list[DimensionChange]


class TrendPoint(ReadModel):
    period: str = Field(description="Month the surveys closed (YYYY-MM).")
    offering_id: uuid.UUID | None
    offering_title: str | None
    surveys: int
    n: int
    mean: float | None
    suppressed: bool


class Trend(ReadModel):
    dimension: str
    threshold: int
    filters: dict[str, str]
    notices: list[str]
    points: list[TrendPoint]

"""Reports: results of closed surveys, with the threshold enforced here, on the server.

A survey with fewer than `threshold` answers released nothing, and a released one was partitioned so
that every group holds 0 or at least `threshold` answers to each question (`surveys/anonymity.py`):
every report selects whole groups, so it and its difference from any report it contains are safe. On
top of that, only surveys released with at least `threshold` responses are used (`included`: the
threshold may have been raised since); a report with fewer included responses than the threshold shows
no figure at all, not even counts per question, and a question or dimension with fewer answers shows
none of its own.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import fmean

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.reports import repository
from services.feedback.reports.schemas import (
    BeforeAfter,
    DimensionChange,
    DimensionResult,
    OptionCount,
    QuestionResult,
    Report,
    SurveySide,
    TemplateResult,
    Trend,
    TrendPoint,
)
from services.feedback.surveys.consumers import BASELINE, FOLLOW_UP
from services.feedback.surveys.models import Response, Survey, SurveyStatus, SurveyTemplate
from services.feedback.surveys.questions import Question, QuestionType
from services.feedback.surveys.shipped import DIMENSIONS
from services.feedback.surveys.templates import questions_of
from services.kernel.problems import NotFound
from services.kernel.schemas import OSLO


class NoBaseline(NotFound):
    slug = "baseline-not-found"
    title = "No baseline for this leader group"


@dataclass(frozen=True)
class Selection:
    """What a report covers. Survey fields pick whole surveys; `org_unit_id` and `sector` pick the
    responses that name that unit or sector."""

    survey_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    offering_id: uuid.UUID | None = None
    leader_group_id: uuid.UUID | None = None
    kind: str | None = None
    template_key: str | None = None
    org_unit_id: uuid.UUID | None = None
    sector: str | None = None
    # Surveys closed on or after / on or before these days (Oslo time): whole surveys again.
    closed_from: date | None = None
    closed_until: date | None = None

    def closed_between(self) -> tuple[datetime | None, datetime | None]:
        """The closing-time bounds as instants: from the start of `closed_from` to before the day after
        `closed_until`."""
        start = datetime.combine(self.closed_from, time(), OSLO) if self.closed_from else None
        end = (
            datetime.combine(self.closed_until + timedelta(days=1), time(), OSLO)
            if self.closed_until
            else None
        )
        return start, end

    def filters(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v is not None}


@dataclass
class Material:
    """Selected surveys with their templates, and the responses chosen from them."""

    closed: list[tuple[Survey, SurveyTemplate]]
    open_surveys: int
    responses: list[Response]
    threshold: int
    large: set[uuid.UUID] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.large = {s.id for s, _ in self.closed if s.responses >= self.threshold}

    @property
    def included(self) -> list[Response]:
        return [r for r in self.responses if r.survey_id in self.large]


async def gather(session: AsyncSession, selection: Selection, threshold: int) -> Material:
    rows = await repository.surveys(
        session,
        [
            (column, value)
            for column, value in (
                (Survey.id, selection.survey_id),
                (Survey.session_id, selection.session_id),
                (Survey.offering_id, selection.offering_id),
                (Survey.leader_group_id, selection.leader_group_id),
                (Survey.kind, selection.kind),
                (SurveyTemplate.key, selection.template_key),
            )
            if value is not None
        ],
        closed_between=selection.closed_between(),
    )
    closed = [(s, t) for s, t in rows if s.status == SurveyStatus.closed]
    responses: list[Response] = []
    if closed:
        responses = await repository.responses(
            session, [s.id for s, _ in closed], org_unit_id=selection.org_unit_id, sector=selection.sector
        )
    return Material(closed, len(rows) - len(closed), responses, threshold)


def _mean(values: Iterable[float]) -> float:
    return round(fmean(values), 2)


def _question(
    question: Question, everything: Sequence[Response], included: Sequence[Response], k: int, hide: bool
) -> QuestionResult:
    given = [r.answers[question.key] for r in included if question.key in r.answers]
    suppressed = hide or len(given) < k
    result = QuestionResult(
        key=question.key,
        text=question.text,
        type=question.type.value,
        dimension=question.dimension,
        answers=None if hide else sum(1 for r in everything if question.key in r.answers),
        n=None if suppressed else len(given),
        suppressed=suppressed,
    )
    if suppressed:
        return result
    match question.type:
        case QuestionType.scale:
            result.mean = _mean(given)
            result.distribution = {str(v): given.count(v) for v in range(1, 6)}
        case QuestionType.single_choice | QuestionType.multiple_choice:
            chosen = [v for g in given for v in (g if isinstance(g, list) else [g])]
            result.options = [
                OptionCount(key=o.key, label=o.label, count=chosen.count(o.key))
                for o in question.options or []
            ]
        case QuestionType.free_text:
            result.comments = sorted(given)
    return result


def _merged_questions(templates: Sequence[SurveyTemplate]) -> list[Question]:
    """The questions of every version used, by key; wording from the newest version that has it."""
    merged: dict[str, Question] = {}
    for template in sorted(templates, key=lambda t: t.version, reverse=True):
        for question in questions_of(template):
            merged.setdefault(question.key, question)
    return list(merged.values())


def respondent_scores(
    responses: Iterable[Response], dimension: str, questions: dict[str, Question]
) -> list[float]:
    """Each respondent's average over the scale questions of a dimension they answered."""
    scores = []
    for response in responses:
        values = [
            v
            for key, v in response.answers.items()
            if key in questions
            and questions[key].dimension == dimension
            and questions[key].type is QuestionType.scale
        ]
        if values:
            scores.append(fmean(values))
    return scores


def _scale_questions(templates: Iterable[SurveyTemplate]) -> dict[str, Question]:
    return {q.key: q for q in _merged_questions(list(templates)) if q.type is QuestionType.scale}


def report(material: Material, selection: Selection) -> Report:
    k = material.threshold
    included = material.included
    hide = len(included) < k
    by_key: dict[str, list[tuple[Survey, SurveyTemplate]]] = defaultdict(list)
    for survey, template in material.closed:
        by_key[template.key].append((survey, template))
    sections = []
    for key, pairs in sorted(by_key.items()):
        ids = {s.id for s, _ in pairs}
        everything = [r for r in material.responses if r.survey_id in ids]
        mine = [r for r in included if r.survey_id in ids]
        templates = [t for _, t in pairs]
        newest = max(templates, key=lambda t: t.version)
        sections.append(
            TemplateResult(
                key=key,
                title=newest.title,
                responses=len(everything),
                questions=[_question(q, everything, mine, k, hide) for q in _merged_questions(templates)],
            )
        )
    scale = _scale_questions(t for _, t in material.closed)
    dimensions = []
    for dimension in sorted({q.dimension for q in scale.values() if q.dimension}, key=_dimension_order):
        scores = respondent_scores(included, dimension, scale)
        shown = not hide and len(scores) >= k
        dimensions.append(
            DimensionResult(dimension=dimension, n=len(scores), mean=_mean(scores) if shown else None)
        )
    return Report(
        filters=selection.filters(),
        threshold=k,
        surveys=len(material.closed),
        open_surveys=material.open_surveys,
        responses=len(material.responses),
        included=len(included),
        suppressed=hide,
        notices=_notices(material, selection, hide),
        templates=sections,
        dimensions=dimensions,
    )


def _dimension_order(dimension: str) -> tuple[int, str]:
    order = list(DIMENSIONS)
    return (order.index(dimension) if dimension in order else len(order), dimension)


def _notices(material: Material, selection: Selection, hide: bool) -> list[str]:
    k = material.threshold
    notices = []
    if hide:
        notices.append(f"Færre enn {k} svar: bare antall vises.")
    left_out = len(material.responses) - len(material.included)
    if left_out:
        notices.append(
            f"{left_out} svar fra undersøkelser med færre enn {k} svar er talt med, "
            "men er ikke med i resultatene."
        )
    if selection.org_unit_id or selection.sector:
        notices.append(
            f"Et svar regnes til en virksomhet eller sektor bare når minst {k} av undersøkelsens svar kom "
            "derfra; ellers teller det bare i undersøkelsen som helhet."
        )
    empty = sum(1 for survey, _ in material.closed if survey.responses == 0)
    if empty:
        notices.append(
            f"{empty} lukket(e) undersøkelse(r) fikk færre enn {k} svar; svarene er slettet uten å bli lest."
        )
    if material.open_surveys:
        notices.append(
            f"{material.open_surveys} undersøkelse(r) er fortsatt åpne; svarene kommer når de lukkes."
        )
    return notices


# --- before and after ------------------------------------------------------------------------------------


async def _side(
    session: AsyncSession, pair: tuple[Survey, SurveyTemplate] | None, k: int
) -> tuple[SurveySide, list[Response]]:
    if pair is None:
        return SurveySide(survey_id=None, status=None, responses=0), []
    survey, _ = pair
    responses: list[Response] = []
    if survey.status == SurveyStatus.closed and survey.responses >= k:
        responses = await repository.responses(session, [survey.id])
    return SurveySide(survey_id=survey.id, status=survey.status, responses=survey.responses), responses


async def before_after(
    session: AsyncSession, group_id: uuid.UUID, offering_id: uuid.UUID | None, k: int
) -> BeforeAfter:
    baseline = await repository.latest_survey(session, BASELINE, group_id, offering_id)
    if baseline is None:
        raise NoBaseline(
            f"Leader group {group_id} has no baseline self-evaluation"
            + (f" for offering {offering_id}." if offering_id else ".")
        )
    offering = baseline[0].offering_id
    assert offering is not None
    follow_up = await repository.latest_survey(session, FOLLOW_UP, group_id, offering)
    before, before_responses = await _side(session, baseline, k)
    after, after_responses = await _side(session, follow_up, k)
    scale = _scale_questions(pair[1] for pair in (baseline, follow_up) if pair is not None)
    changes = []
    for dimension in sorted({q.dimension for q in scale.values() if q.dimension}, key=_dimension_order):
        first = respondent_scores(before_responses, dimension, scale)
        second = respondent_scores(after_responses, dimension, scale)
        first_mean = _mean(first) if len(first) >= k else None
        second_mean = _mean(second) if len(second) >= k else None
        changes.append(
            DimensionChange(
                dimension=dimension,
                label=DIMENSIONS.get(dimension, dimension),
                baseline_n=len(first) if before_responses else 0,
                baseline_mean=first_mean,
                follow_up_n=len(second) if after_responses else 0,
                follow_up_mean=second_mean,
                change=round(second_mean - first_mean, 2)
                if first_mean is not None and second_mean is not None
                else None,
            )
        )
    notices = []
    for name, side in (("Før-målingen", before), ("Etter-målingen", after)):
        if side.survey_id is None:
            notices.append(f"{name} er ikke åpnet ennå.")
        elif side.status == SurveyStatus.open:
            notices.append(f"{name} er åpen; svarene kommer når den lukkes.")
        elif side.responses < k:
            notices.append(f"{name} fikk færre enn {k} svar: svarene er slettet uten å bli lest.")
    return BeforeAfter(
        leader_group_id=group_id,
        offering_id=offering,
        threshold=k,
        baseline=before,
        follow_up=after,
        notices=notices,
        dimensions=changes,
    )


# --- trend -----------------------------------------------------------------------------------------------


async def trend(session: AsyncSession, dimension: str, selection: Selection, k: int) -> Trend:
    """A dimension's mean per offering and month of closing, over surveys with at least k responses."""
    material = await gather(session, selection, k)
    scale = _scale_questions(t for _, t in material.closed)
    groups: dict[tuple[str, uuid.UUID | None], list[Survey]] = defaultdict(list)
    for survey, _ in material.closed:
        if survey.id in material.large and survey.closed_at is not None:
            groups[(survey.closed_at.astimezone(OSLO).strftime("%Y-%m"), survey.offering_id)].append(survey)
    titles = await repository.offering_titles(session, [o for _, o in groups if o])
    points = []
    for (period, offering_id), surveys in sorted(
        groups.items(), key=lambda item: (item[0][0], str(item[0][1]))
    ):
        ids = {s.id for s in surveys}
        scores = respondent_scores((r for r in material.responses if r.survey_id in ids), dimension, scale)
        if not scores:
            continue
        shown = len(scores) >= k
        points.append(
            TrendPoint(
                period=period,
                offering_id=offering_id,
                offering_title=titles.get(offering_id) if offering_id else None,
                surveys=len(surveys),
                n=len(scores),
                mean=_mean(scores) if shown else None,
                suppressed=not shown,
            )
        )
    return Trend(
        dimension=dimension,
        threshold=k,
        filters=selection.filters(),
        notices=_notices(material, selection, hide=False),
        points=points,
    )

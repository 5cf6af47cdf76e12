"""HTTP endpoints: templates and surveys (coordinators), invitations and answers (participants)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.dependencies import SettingsDep
from services.feedback.surveys import problems, service, templates
from services.feedback.surveys.models import Survey, SurveyTemplate
from services.feedback.surveys.questions import TemplateDraft
from services.feedback.surveys.schemas import (
    SurveyCreate,
    SurveyExtend,
    SurveyKind,
    SurveyPage,
    SurveyPublic,
    TemplateCreate,
    TemplatePage,
    TemplatePublic,
)
from services.kernel.auth.tokens import CoordinatorOnly
from services.kernel.database import SessionDep, TransactionalRoute
from services.kernel.paging import Paging
from services.kernel.problems import COMMON_RESPONSES, Forbidden

router = APIRouter(route_class=TransactionalRoute, responses={**COMMON_RESPONSES, 403: Forbidden.openapi()})
TemplateKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,39}$")]


def _template(row: SurveyTemplate) -> TemplatePublic:
    return TemplatePublic.model_validate(row)


# --- templates -------------------------------------------------------------------------------------------


@router.get("/survey-templates", tags=["survey templates"], summary="List templates (newest versions)")
async def list_templates(session: SessionDep, _: CoordinatorOnly, paging: Paging) -> TemplatePage:
    """The newest version of every template, by key."""
    found = await templates.newest_templates(session, limit=paging.fetch, offset=paging.offset)
    return paging.page(TemplatePage, [_template(t) for t in found])


@router.post(
    "/survey-templates",
    tags=["survey templates"],
    status_code=status.HTTP_201_CREATED,
    summary="Create a template",
    responses={409: problems.TemplateExists.openapi()},
)
async def create_template(
    session: SessionDep, principal: CoordinatorOnly, body: TemplateCreate
) -> TemplatePublic:
    """Create a template as version 1. A version never changes once made; edits are new versions."""
    draft = TemplateDraft.model_validate(body.model_dump(exclude={"key"}))
    return _template(await templates.create_template(session, body.key, draft, principal.oid))


@router.get(
    "/survey-templates/{key}/versions",
    tags=["survey templates"],
    summary="List a template's versions",
    responses={404: problems.TemplateNotFound.openapi()},
)
async def list_template_versions(
    session: SessionDep, _: CoordinatorOnly, key: TemplateKey, paging: Paging
) -> TemplatePage:
    """Every version of a template, newest first."""
    rows = await templates.versions(session, key)
    return paging.page(TemplatePage, [_template(t) for t in paging.window(rows)])


@router.post(
    "/survey-templates/{key}/versions",
    tags=["survey templates"],
    status_code=status.HTTP_201_CREATED,
    summary="Publish a new version of a template",
    responses={404: problems.TemplateNotFound.openapi(), 422: problems.QuestionTypeChanged.openapi()},
)
async def add_template_version(
    session: SessionDep, principal: CoordinatorOnly, key: TemplateKey, body: TemplateDraft
) -> TemplatePublic:
    """Publish the next version. Surveys opened earlier keep theirs; new ones use this one. A question
    key keeps its type across versions, since reports compare answers by key."""
    return _template(await templates.add_version(session, key, body, principal.oid))


@router.get(
    "/survey-templates/{key}/versions/{version}",
    tags=["survey templates"],
    summary="Get one version of a template",
    responses={404: problems.TemplateNotFound.openapi()},
)
async def get_template_version(
    session: SessionDep, _: CoordinatorOnly, key: TemplateKey, version: Annotated[int, Path(ge=1, le=100_000)]
) -> TemplatePublic:
    """One published version, exactly as respondents saw it."""
    return _template(await templates.template_version(session, key, version))


# --- surveys ---------------------------------------------------------------------------------------------


async def _surveys_public(session: AsyncSession, surveys: Sequence[Survey]) -> list[SurveyPublic]:
    """Surveys with their template and counts, in two queries however many surveys there are."""
    used = await templates.by_id(session, {s.template_id for s in surveys})
    invited = await service.invited(session, surveys)
    return [
        SurveyPublic.model_validate(
            {
                **survey.model_dump(),
                "template_key": used[survey.template_id].key,
                "template_version": used[survey.template_id].version,
                "invited": invited.get(survey.id, 0),
            }
        )
        for survey in surveys
    ]


async def _survey_public(session: AsyncSession, survey: Survey) -> SurveyPublic:
    (public,) = await _surveys_public(session, [survey])
    return public


@router.post(
    "/surveys",
    tags=["surveys"],
    status_code=status.HTTP_201_CREATED,
    summary="Open a survey",
    responses={404: problems.TemplateNotFound.openapi(), 422: problems.NoInvitees.openapi()},
)
async def open_survey(
    session: SessionDep, principal: CoordinatorOnly, settings: SettingsDep, body: SurveyCreate
) -> SurveyPublic:
    """Open a survey by hand for a session's or an offering's confirmed participants, or for a leader
    group (its top leader and members; with `offering_id`, those of them who took part)."""
    template = await templates.template_version(session, body.template_key, body.template_version)
    scope = service.Scope(
        session_id=body.session_id, offering_id=body.offering_id, leader_group_id=body.leader_group_id
    )
    people = await service.invitees(session, scope)
    if not people:
        raise problems.NoInvitees(
            "Nobody to invite: the feedback service knows no confirmed participants (or group members) "
            "for what the survey names. Participants arrive from the enrollment service's events."
        )
    survey, _ = await service.open_survey(
        session,
        settings,
        template=template,
        kind=body.kind.value,
        title=body.title or template.title,
        title_en=body.title_en or (None if body.title else template.title_en),
        scope=scope,
        open_until=body.open_until,
        actor=principal.oid,
        people=people,
    )
    return await _survey_public(session, survey)


@router.get("/surveys", tags=["surveys"], summary="List surveys")
async def list_surveys(
    session: SessionDep,
    _: CoordinatorOnly,
    paging: Paging,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|closed)$")] = None,
    kind: SurveyKind | None = None,
    session_id: uuid.UUID | None = None,
    offering_id: uuid.UUID | None = None,
    leader_group_id: uuid.UUID | None = None,
) -> SurveyPage:
    """Surveys, newest first, with how many were invited and have answered."""
    where = [
        (column, value)
        for column, value in (
            (Survey.status, status_),
            (Survey.kind, kind),
            (Survey.session_id, session_id),
            (Survey.offering_id, offering_id),
            (Survey.leader_group_id, leader_group_id),
        )
        if value is not None
    ]
    found = await service.surveys(session, where, limit=paging.fetch, offset=paging.offset)
    return paging.page(SurveyPage, await _surveys_public(session, found))


@router.get(
    "/surveys/{survey_id}",
    tags=["surveys"],
    summary="Get a survey",
    responses={404: problems.SurveyNotFound.openapi()},
)
async def get_survey(session: SessionDep, _: CoordinatorOnly, survey_id: uuid.UUID) -> SurveyPublic:
    """A survey with its counts. Who answered is never shown: only how many."""
    survey = await session.get(Survey, survey_id)
    if survey is None:
        raise problems.SurveyNotFound(f"No survey {survey_id}.")
    return await _survey_public(session, survey)


@router.patch(
    "/surveys/{survey_id}",
    tags=["surveys"],
    summary="Move a survey's closing time",
    responses={404: problems.SurveyNotFound.openapi(), 409: problems.SurveyNotOpen.openapi()},
)
async def extend_survey(
    session: SessionDep, _: CoordinatorOnly, survey_id: uuid.UUID, body: SurveyExtend
) -> SurveyPublic:
    """Keep an open survey open longer, or close it sooner (a time in the future)."""
    return await _survey_public(session, await service.extend(session, survey_id, body.open_until))


@router.post(
    "/surveys/{survey_id}/close",
    tags=["surveys"],
    summary="Close a survey",
    responses={404: problems.SurveyNotFound.openapi(), 503: problems.BallotKeyMismatch.openapi()},
)
async def close_survey(
    session: SessionDep, principal: CoordinatorOnly, settings: SettingsDep, survey_id: uuid.UUID
) -> SurveyPublic:
    """Close now: no more answers, and the answers given are released for reports (all at once, in
    random order). Closing a closed survey changes nothing."""
    return await _survey_public(session, await service.close(session, settings, survey_id, principal.oid))

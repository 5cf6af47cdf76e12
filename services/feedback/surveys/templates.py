"""Survey templates: versioned question sets. A question key keeps its type across versions, since
reports compare answers by key; surveys point at the version they were opened with."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.surveys import repository, sealing
from services.feedback.surveys.models import SurveyTemplate
from services.feedback.surveys.problems import QuestionTypeChanged, TemplateExists, TemplateNotFound
from services.feedback.surveys.questions import Question, TemplateDraft, largest_answers


def questions_of(template: SurveyTemplate) -> list[Question]:
    return [Question.model_validate(q) for q in template.questions]


async def template_version(session: AsyncSession, key: str, version: int | None = None) -> SurveyTemplate:
    template = await repository.template(session, key, version)
    if template is None:
        raise TemplateNotFound(f"No template {key!r}" + (f" version {version}." if version else "."))
    return template


def new_version(key: str, version: int, draft: TemplateDraft, actor: str) -> SurveyTemplate:
    questions = [q.model_dump(mode="json", exclude_none=True) for q in draft.questions]
    return SurveyTemplate(
        key=key,
        version=version,
        title=draft.title,
        description=draft.description,
        title_en=draft.title_en,
        description_en=draft.description_en,
        questions=questions,
        ballot_size=sealing.padded_size(largest_answers(draft.questions)),
        created_by=actor,
    )


async def create_template(
    session: AsyncSession, key: str, draft: TemplateDraft, actor: str
) -> SurveyTemplate:
    if await repository.template_exists(session, key):
        raise TemplateExists(
            f"Template {key!r} exists; post a new version to /survey-templates/{key}/versions."
        )
    template = new_version(key, 1, draft, actor)
    session.add(template)
    await session.flush()
    return template


async def add_version(session: AsyncSession, key: str, draft: TemplateDraft, actor: str) -> SurveyTemplate:
    """The next version of a template. Earlier versions stay as they are (surveys point at them)."""
    latest = await template_version(session, key)
    # Lock the key's newest version so two editors cannot both make version n + 1 (the unique
    # constraint would refuse the second with a 409 otherwise; this makes it wait and follow instead).
    await repository.lock_template(session, latest.id)
    latest = await template_version(session, key)
    seen: dict[str, str] = {}
    for row in await repository.questions_of_every_version(session, key):
        for question in row:
            seen.setdefault(question["key"], question["type"])
    changed = [q.key for q in draft.questions if q.key in seen and seen[q.key] != q.type.value]
    if changed:
        raise QuestionTypeChanged(
            f"Question {', '.join(changed)} had another type in an earlier version; answers are compared "
            "by question key across versions, so give a changed question a new key."
        )
    template = new_version(key, latest.version + 1, draft, actor)
    session.add(template)
    await session.flush()
    return template


async def newest_templates(session: AsyncSession, *, limit: int, offset: int) -> list[SurveyTemplate]:
    """The newest version of every template, by key."""
    return await repository.newest_templates(session, limit=limit, offset=offset)


async def versions(session: AsyncSession, key: str) -> list[SurveyTemplate]:
    """Every version of a template, newest first."""
    found = await repository.template_versions(session, key)
    if not found:
        raise TemplateNotFound(f"No template {key!r}.")
    return found


async def by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, SurveyTemplate]:
    return await repository.templates_by_id(session, ids)

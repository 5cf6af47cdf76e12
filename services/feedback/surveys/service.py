"""Opening, answering and closing surveys, and the templates they use.

Answering stores a sealed ballot and marks the invitation used, in one transaction; closing opens all
of a survey's ballots at once and writes them as anonymous responses (see `sealing.py` for why, and
`anonymity.py` for which unit and sector a response may name).
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from services.feedback.directory.models import KnownLeaderGroup, KnownOrgUnit, KnownPerson
from services.feedback.events import SOURCE, ResponseReceived, SurveyClosed, SurveyOpened
from services.feedback.participants.models import Participant
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys import anonymity, sealing
from services.feedback.surveys.models import (
    Invitation,
    Response,
    SealedBallot,
    Survey,
    SurveyStatus,
    SurveyTemplate,
)
from services.feedback.surveys.questions import Question, TemplateDraft, check_answers, largest_answers
from services.kernel import clock
from services.kernel.auth.tokens import Principal
from services.kernel.eventbus import publish
from services.kernel.problems import Conflict, NotFound, Problem, ServiceUnavailable

log = logging.getLogger(__name__)

SYSTEM = "system"


class TemplateNotFound(NotFound):
    slug = "template-not-found"
    title = "Survey template not found"


class TemplateExists(Conflict):
    slug = "template-exists"
    title = "A template with this key exists"


class QuestionTypeChanged(Problem):
    status = 422
    slug = "question-type-changed"
    title = "A question changed its type"


class SurveyNotFound(NotFound):
    slug = "survey-not-found"
    title = "Survey not found"


class InvitationNotFound(NotFound):
    slug = "invitation-not-found"
    title = "Invitation not found"


class AlreadyAnswered(Conflict):
    slug = "already-answered"
    title = "Already answered"


class SurveyNotOpen(Conflict):
    slug = "survey-closed"
    title = "The survey is closed"


class InvalidAnswers(Problem):
    status = 422
    slug = "invalid-answers"
    title = "The answers do not fit the survey's questions"


class BallotKeyMismatch(ServiceUnavailable):
    slug = "ballot-key-mismatch"
    title = "The answers cannot be opened"


class NoInvitees(Problem):
    status = 422
    slug = "no-invitees"
    title = "Nobody to invite"


# --- templates -------------------------------------------------------------------------------------------


def questions_of(template: SurveyTemplate) -> list[Question]:
    return [Question.model_validate(q) for q in template.questions]


async def template_version(session: AsyncSession, key: str, version: int | None = None) -> SurveyTemplate:
    statement = select(SurveyTemplate).where(SurveyTemplate.key == key)
    if version is not None:
        statement = statement.where(SurveyTemplate.version == version)
    template = (
        await session.execute(statement.order_by(col(SurveyTemplate.version).desc()).limit(1))
    ).scalar_one_or_none()
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
        questions=questions,
        ballot_size=sealing.padded_size(largest_answers(draft.questions)),
        created_by=actor,
    )


async def create_template(
    session: AsyncSession, key: str, draft: TemplateDraft, actor: str
) -> SurveyTemplate:
    exists = await session.scalar(select(func.count()).where(SurveyTemplate.key == key))
    if exists:
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
    await session.execute(select(SurveyTemplate.id).where(SurveyTemplate.id == latest.id).with_for_update())
    latest = await template_version(session, key)
    seen: dict[str, str] = {}
    for row in (
        await session.execute(select(SurveyTemplate.questions).where(SurveyTemplate.key == key))
    ).scalars():
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


# --- opening ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    session_id: uuid.UUID | None = None
    offering_id: uuid.UUID | None = None
    leader_group_id: uuid.UUID | None = None


async def invitees(session: AsyncSession, scope: Scope) -> set[uuid.UUID]:
    """Who a survey opened by hand invites: a session's or offering's confirmed participants, or a
    leader group's top leader and members (within an offering: those of them who took part)."""
    if scope.leader_group_id is not None:
        group = await session.get(KnownLeaderGroup, scope.leader_group_id)
        if group is None:
            return set()
        people = {*group.member_ids, *([group.leader_id] if group.leader_id else [])}
        if scope.offering_id is not None:
            people &= await _participants(session, col(Participant.offering_id) == scope.offering_id)
        return people
    if scope.session_id is not None:
        return await _participants(session, col(Participant.session_id) == scope.session_id)
    assert scope.offering_id is not None
    return await _participants(session, col(Participant.offering_id) == scope.offering_id)


async def _participants(session: AsyncSession, condition: Any) -> set[uuid.UUID]:
    return set((await session.execute(select(Participant.person_id).where(condition).distinct())).scalars())


async def open_survey(
    session: AsyncSession,
    *,
    template: SurveyTemplate,
    kind: str,
    title: str,
    scope: Scope,
    open_until: datetime,
    actor: str,
    people: Iterable[uuid.UUID],
    origin_key: str | None = None,
) -> tuple[Survey, bool]:
    """The survey (opened now, or found by `origin_key`) with `people` invited; True if it is new."""
    values = {
        "id": uuid.uuid4(),
        "template_id": template.id,
        "kind": kind,
        "title": title[:300],
        "session_id": scope.session_id,
        "offering_id": scope.offering_id,
        "leader_group_id": scope.leader_group_id,
        "origin_key": origin_key,
        "opened_by": actor,
        "open_until": open_until,
    }
    statement = pg_insert(Survey).values(**values)
    if origin_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["origin_key"])
    created = (await session.execute(statement.returning(col(Survey.id)))).scalar_one_or_none()
    if created is None:
        survey = (await session.execute(select(Survey).where(Survey.origin_key == origin_key))).scalar_one()
    else:
        survey = (await session.execute(select(Survey).where(Survey.id == created))).scalar_one()
    invited = await invite(session, survey, people)
    if created is not None:
        await publish(
            session,
            SurveyOpened(**_facts(survey, template), invited=invited),
            source=SOURCE,
            aggregate_id=survey.id,
        )
    return survey, created is not None


async def invite(session: AsyncSession, survey: Survey, people: Iterable[uuid.UUID]) -> int:
    """Invite people to an open survey (someone invited already keeps their one invitation)."""
    rows = [{"id": uuid.uuid4(), "survey_id": survey.id, "person_id": p} for p in sorted(set(people))]
    if rows and survey.status == SurveyStatus.open:
        await session.execute(
            pg_insert(Invitation)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["survey_id", "person_id"])
        )
    return await count_invited(session, survey.id)


async def uninvite_unanswered(session: AsyncSession, survey: Survey, people: Iterable[uuid.UUID]) -> None:
    """Withdraw invitations not yet used (an answer already given stays: nobody can find it)."""
    ids = list(set(people))
    if ids and survey.status == SurveyStatus.open:
        await session.execute(
            delete(Invitation).where(
                col(Invitation.survey_id) == survey.id,
                col(Invitation.person_id).in_(ids),
                col(Invitation.answered).is_(False),
            )
        )


async def count_invited(session: AsyncSession, survey_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(col(Invitation.survey_id) == survey_id)) or 0)


async def count_answered(session: AsyncSession, survey_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(col(Invitation.survey_id) == survey_id, col(Invitation.answered))
        )
        or 0
    )


def _facts(survey: Survey, template: SurveyTemplate) -> dict[str, Any]:
    return {
        "survey_id": survey.id,
        "kind": survey.kind,
        "template_key": template.key,
        "template_version": template.version,
        "session_id": survey.session_id,
        "offering_id": survey.offering_id,
        "leader_group_id": survey.leader_group_id,
        "open_until": survey.open_until,
    }


# --- answering -------------------------------------------------------------------------------------------


async def person_of(session: AsyncSession, principal: Principal) -> KnownPerson | None:
    """The directory person a signed-in caller is (by Entra object id), if the directory knows them."""
    return (
        await session.execute(
            select(KnownPerson)
            .where(KnownPerson.entra_oid == principal.oid, col(KnownPerson.active))
            .limit(1)
        )
    ).scalar_one_or_none()


async def own_invitation(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID, *, lock: bool = False
) -> tuple[Invitation, Survey, SurveyTemplate]:
    """The caller's own invitation with its survey and template (404 for anyone else's)."""
    person = await person_of(session, principal)
    statement = (
        select(Invitation, Survey, SurveyTemplate)
        .join(Survey, col(Survey.id) == col(Invitation.survey_id))
        .join(SurveyTemplate, col(SurveyTemplate.id) == col(Survey.template_id))
        .where(Invitation.id == invitation_id, Invitation.person_id == (person.person_id if person else None))
    )
    if lock:
        # The invitation for update (one answer), the survey for share (a close waits for this answer).
        statement = statement.with_for_update(of=[Invitation]).execution_options(populate_existing=True)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise InvitationNotFound(f"No invitation {invitation_id} of yours.")
    if lock:
        await session.execute(select(Survey.id).where(Survey.id == row[1].id).with_for_update(read=True))
        await session.refresh(row[1])
    return row[0], row[1], row[2]


async def answer(
    session: AsyncSession,
    settings: FeedbackSettings,
    principal: Principal,
    invitation_id: uuid.UUID,
    answers: dict[str, Any],
) -> tuple[Survey, int]:
    """Store one sealed answer for the caller's invitation and mark it used; the survey and how many
    have answered it so far."""
    invitation, survey, template = await own_invitation(session, principal, invitation_id, lock=True)
    if invitation.answered:
        raise AlreadyAnswered("This invitation has been answered; a survey takes one answer per person.")
    if survey.status != SurveyStatus.open or survey.open_until <= clock.now():
        raise SurveyNotOpen(
            f"The survey closed at {survey.closed_at or survey.open_until:%Y-%m-%d %H:%M %Z}."
        )
    clean, errors = check_answers(questions_of(template), answers)
    if errors:
        raise InvalidAnswers(
            f"{len(errors)} answer(s) do not fit: " + "; ".join(f"{e.loc[-1]}: {e.msg}" for e in errors[:5]),
            errors=errors,
        )
    person = await session.get(KnownPerson, invitation.person_id)
    unit = await session.get(KnownOrgUnit, person.org_unit_id) if person and person.org_unit_id else None
    ballot = {
        "answers": clean,
        "org_unit_id": str(unit.org_unit_id) if unit else None,
        "sector": unit.sector if unit else None,
    }
    sealed = sealing.seal(settings.ballot_key_bytes(), survey.id, ballot, template.ballot_size)
    session.add(SealedBallot(survey_id=survey.id, sealed=sealed))
    invitation.answered = True
    await session.flush()
    answered = await count_answered(session, survey.id)
    await publish(
        session,
        ResponseReceived(survey_id=survey.id, answered=answered),
        source=SOURCE,
        aggregate_id=survey.id,
    )
    return survey, answered


# --- closing ---------------------------------------------------------------------------------------------


async def _locked(session: AsyncSession, survey_id: uuid.UUID) -> Survey:
    """The survey, locked for change and read afresh under the lock (404 if there is none)."""
    survey = (
        await session.execute(
            select(Survey)
            .where(Survey.id == survey_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if survey is None:
        raise SurveyNotFound(f"No survey {survey_id}.")
    return survey


async def close(
    session: AsyncSession, settings: FeedbackSettings, survey_id: uuid.UUID, actor: str
) -> Survey:
    """Close a survey and release its answers as responses (a closed survey is returned as it is)."""
    survey = await _locked(session, survey_id)
    if survey.status == SurveyStatus.closed:
        return survey
    template = await session.get(SurveyTemplate, survey.template_id)
    assert template is not None
    key = settings.ballot_key_bytes()
    sealed_ballots = (
        await session.execute(select(SealedBallot.sealed).where(SealedBallot.survey_id == survey.id))
    ).scalars()
    try:
        ballots = [json.loads(sealing.unseal(key, survey.id, sealed)) for sealed in sealed_ballots]
    except InvalidTag as error:
        # Nothing is changed: the survey stays open with its ballots until the right key is back.
        raise BallotKeyMismatch(
            "The survey's answers cannot be opened with the configured FEEDBACK_BALLOT_KEY (was it changed "
            "while the survey was open?). Nothing was changed; restore the key and close again."
        ) from error
    # Shuffled before anything else: neither tags nor row order may follow the order ballots came in.
    random.SystemRandom().shuffle(ballots)
    origins = [(uuid.UUID(b["org_unit_id"]) if b["org_unit_id"] else None, b["sector"]) for b in ballots]
    tags = anonymity.generalise(origins, settings.anonymity_threshold)
    if ballots:
        await session.execute(
            insert(Response),
            [
                {
                    "id": uuid.uuid4(),
                    "survey_id": survey.id,
                    "org_unit_id": unit,
                    "sector": sector,
                    "answers": b["answers"],
                }
                for b, (unit, sector) in zip(ballots, tags, strict=True)
            ],
        )
    await session.execute(delete(SealedBallot).where(col(SealedBallot.survey_id) == survey.id))
    survey.status = SurveyStatus.closed
    survey.closed_at = clock.now()
    survey.closed_by = actor
    survey.responses = len(ballots)
    await session.flush()
    await publish(
        session,
        SurveyClosed(
            **_facts(survey, template),
            invited=await count_invited(session, survey.id),
            responses=len(ballots),
        ),
        source=SOURCE,
        aggregate_id=survey.id,
    )
    return survey


async def close_expired(sessionmaker: async_sessionmaker[AsyncSession], settings: FeedbackSettings) -> None:
    """Close every open survey whose time has run out (a periodic job; replicas skip each other's)."""
    while True:
        async with sessionmaker() as session, session.begin():
            due = (
                await session.execute(
                    select(Survey.id)
                    .where(Survey.status == SurveyStatus.open, col(Survey.open_until) <= clock.now())
                    .order_by(col(Survey.open_until))
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if due is None:
                return
            await close(session, settings, due, SYSTEM)
            log.info("survey %s closed: its time ran out", due)


async def extend(session: AsyncSession, survey_id: uuid.UUID, open_until: datetime) -> Survey:
    survey = await _locked(session, survey_id)
    if survey.status != SurveyStatus.open:
        raise SurveyNotOpen("A closed survey stays closed: its answers are released.")
    survey.open_until = open_until
    await session.flush()
    return survey

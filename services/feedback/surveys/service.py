"""Opening surveys and inviting people, answering them, and closing them.

Answering stores a sealed ballot and marks the invitation used, in one transaction; closing opens all
of a survey's ballots at once and writes them as anonymous responses (see `sealing.py` for why, and
`anonymity.py` for which unit and sector a response may name). Templates are in `templates.py`.
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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.directory.models import KnownLeaderGroup, KnownOrgUnit, KnownPerson
from services.feedback.events import SOURCE, ResponseReceived, SurveyClosed, SurveyOpened
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys import anonymity, repository, sealing
from services.feedback.surveys.models import Invitation, SealedBallot, Survey, SurveyStatus, SurveyTemplate
from services.feedback.surveys.problems import (
    AlreadyAnswered,
    BallotKeyMismatch,
    InvalidAnswers,
    InvitationNotFound,
    SurveyNotFound,
    SurveyNotOpen,
)
from services.feedback.surveys.questions import check_answers
from services.feedback.surveys.templates import questions_of
from services.kernel import clock
from services.kernel.auth.tokens import Principal
from services.kernel.eventbus import publish

log = logging.getLogger(__name__)

SYSTEM = "system"


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
            people &= await repository.participants(session, offering_id=scope.offering_id)
        return people
    if scope.session_id is not None:
        return await repository.participants(session, session_id=scope.session_id)
    assert scope.offering_id is not None
    return await repository.participants(session, offering_id=scope.offering_id)


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
        "opened_by": actor,
        "open_until": open_until,
    }
    survey = await repository.insert_survey(session, values, origin_key=origin_key)
    created = survey.id == values["id"]
    invited = await invite(session, survey, people)
    if created:
        await publish(
            session,
            SurveyOpened(**_facts(survey, template), invited=invited),
            source=SOURCE,
            aggregate_id=survey.id,
        )
    return survey, created


async def invite(session: AsyncSession, survey: Survey, people: Iterable[uuid.UUID]) -> int:
    """Invite people to an open survey (someone invited already keeps their one invitation)."""
    invited = sorted(set(people))
    if invited and survey.status == SurveyStatus.open:
        await repository.add_invitations(session, survey.id, invited)
    return await repository.count_invited(session, survey.id)


async def uninvite_unanswered(session: AsyncSession, survey: Survey, people: Iterable[uuid.UUID]) -> None:
    """Withdraw invitations not yet used (an answer already given stays: nobody can find it)."""
    ids = list(set(people))
    if ids and survey.status == SurveyStatus.open:
        await repository.delete_unanswered_invitations(session, survey.id, ids)


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
    return await repository.active_person_by_oid(session, principal.oid)


async def own_invitation(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID, *, lock: bool = False
) -> tuple[Invitation, Survey, SurveyTemplate]:
    """The caller's own invitation with its survey and template (404 for anyone else's)."""
    person = await person_of(session, principal)
    # Locked: the invitation for update (one answer), the survey for share (a close waits for it).
    row = await repository.invitation(session, invitation_id, person.person_id if person else None, lock=lock)
    if row is None:
        raise InvitationNotFound(f"No invitation {invitation_id} of yours.")
    if lock:
        await repository.share_lock_survey(session, row[1].id)
        await session.refresh(row[1])
    return row


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
    answered = await repository.count_answered(session, survey.id)
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
    survey = await repository.survey_for_update(session, survey_id)
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
    sealed_ballots = await repository.sealed_ballots(session, survey.id)
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
    await repository.insert_responses(
        session,
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
    await repository.delete_ballots(session, survey.id)
    survey.status = SurveyStatus.closed
    survey.closed_at = clock.now()
    survey.closed_by = actor
    survey.responses = len(ballots)
    await session.flush()
    await publish(
        session,
        SurveyClosed(
            **_facts(survey, template),
            invited=await repository.count_invited(session, survey.id),
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
            due = await repository.next_due_survey(session, clock.now())
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


async def surveys(
    session: AsyncSession, where: Iterable[tuple[Any, object]], *, limit: int, offset: int
) -> list[Survey]:
    return await repository.surveys(session, where, limit=limit, offset=offset)


async def counts(session: AsyncSession, survey_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """(invited, answered) per survey; surveys without invitations are left out."""
    return await repository.invitation_counts(session, set(survey_ids))


async def invitations_of(
    session: AsyncSession, person_id: uuid.UUID, *, open_only: bool, limit: int, offset: int
) -> list[tuple[Invitation, Survey, SurveyTemplate, bool]]:
    """A person's invitations, soonest closing first, each with whether its survey takes answers now."""
    return await repository.invitations_of(
        session, person_id, clock.now(), open_only=open_only, limit=limit, offset=offset
    )


async def survey_by_origin(session: AsyncSession, origin_key: str) -> Survey | None:
    """The survey an event opened, by the key it was opened under."""
    return await repository.survey_by_origin(session, origin_key)

"""Opening surveys (each with its blind-signing keys) and inviting people, and closing them.

Answering is `answering/`: credentials, then ballots that name nobody. Closing opens all of a
survey's ballots at once and writes them as anonymous responses, or, with fewer than the threshold,
deletes them unread (`anonymity.py` says which unit and sector a response may name and which answers
are dropped). Templates are in `templates.py`.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.answering import keys
from services.feedback.directory.models import KnownLeaderGroup
from services.feedback.events import SOURCE, SurveyClosed, SurveyOpened
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys import anonymity, mails, repository, sealing
from services.feedback.surveys.models import Survey, SurveyStatus, SurveyTemplate
from services.feedback.surveys.problems import (
    BallotKeyMismatch,
    SurveyNotFound,
    SurveyNotOpen,
)
from services.kernel import clock
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
    settings: FeedbackSettings,
    *,
    template: SurveyTemplate,
    kind: str,
    title: str,
    title_en: str | None = None,
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
        "title_en": title_en[:300] if title_en else None,
        "session_id": scope.session_id,
        "offering_id": scope.offering_id,
        "leader_group_id": scope.leader_group_id,
        "opened_by": actor,
        "open_until": open_until,
    }
    survey = await repository.insert_survey(session, values, origin_key=origin_key)
    created = survey.id == values["id"]
    if created:
        await keys.create(session, settings, survey.id)
    invited = await invite(session, settings, survey, people)
    if created:
        await publish(
            session,
            SurveyOpened(**_facts(survey, template), invited=invited),
            source=SOURCE,
            aggregate_id=survey.id,
        )
    return survey, created


async def invite(
    session: AsyncSession, settings: FeedbackSettings, survey: Survey, people: Iterable[uuid.UUID]
) -> int:
    """Invite people to an open survey (someone invited already keeps their one invitation, and one that
    was withdrawn is shown again, with whatever credential it had); those invited for the first time get
    an invitation mail."""
    invited = sorted(set(people))
    if invited and survey.status == SurveyStatus.open:
        new = await repository.add_invitations(session, survey.id, invited)
        await mails.request(session, settings, survey, new, mails.INVITATION)
    return await repository.count_invited(session, survey.id)


async def withdraw(session: AsyncSession, survey: Survey, people: Iterable[uuid.UUID]) -> None:
    """Withdraw invitations (an attendance corrected to absent), used or not: the survey's `invited`
    then changes the same way whether or not someone answered. A credential already issued, and a ballot
    already cast, cannot be withdrawn: nothing links them to the person."""
    ids = sorted(set(people))
    if ids and survey.status == SurveyStatus.open:
        await repository.withdraw_invitations(session, survey.id, ids)


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
    ballots = _opened(settings, survey, await repository.sealed_ballots(session, survey.id))
    k = settings.anonymity_threshold
    released = len(ballots) >= k
    if released:
        # Shuffled before anything else: neither tags nor row order may follow the order ballots came in.
        random.SystemRandom().shuffle(ballots)
        origins = [(uuid.UUID(b["org_unit_id"]) if b["org_unit_id"] else None, b["sector"]) for b in ballots]
        tagged = list(zip(anonymity.generalise(origins, k), (b["answers"] for b in ballots), strict=True))
        await repository.insert_responses(
            session,
            [
                {
                    "id": uuid.uuid4(),
                    "survey_id": survey.id,
                    "org_unit_id": unit,
                    "sector": sector,
                    "answers": a,
                }
                for (unit, sector), a in anonymity.drop_rare_answers(tagged, k)
            ],
        )
    # Fewer than k: destroyed unread. The rows go now; their dead tuples stay sealed under the ballot
    # key until vacuum reclaims them (docs/anonymity.md says what that leaves).
    await repository.delete_ballots(session, survey.id)
    await keys.erase(session, survey.id)
    survey.status = SurveyStatus.closed
    survey.closed_at = clock.now()
    survey.closed_by = actor
    survey.responses = len(ballots) if released else 0
    survey.invited = invited = await repository.count_invited(session, survey.id)
    await session.flush()
    await publish(
        session,
        SurveyClosed(
            **_facts(survey, template),
            invited=invited,
            responses=survey.responses,
            released=released,
        ),
        source=SOURCE,
        aggregate_id=survey.id,
    )
    return survey


def _opened(settings: FeedbackSettings, survey: Survey, sealed_ballots: list[bytes]) -> list[dict[str, Any]]:
    """The survey's ballots, unsealed; nothing is changed when the key does not open them."""
    key = settings.ballot_key_bytes()
    try:
        return [json.loads(sealing.unseal(key, survey.id, sealed)) for sealed in sealed_ballots]
    except InvalidTag as error:
        # The survey stays open with its ballots until the right key is back.
        raise BallotKeyMismatch(
            "The survey's answers cannot be opened with the configured FEEDBACK_BALLOT_KEY (was it changed "
            "while the survey was open?). Nothing was changed; restore the key and close again."
        ) from error


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


async def invited(session: AsyncSession, surveys: Sequence[Survey]) -> dict[uuid.UUID, int]:
    """Invitations not withdrawn, per survey (a closed survey's as counted when it closed: the
    invitations go a year after). How many answered is not shown while a survey is open."""
    counted = await repository.invited_counts(session, {s.id for s in surveys if s.invited is None})
    return {s.id: s.invited if s.invited is not None else counted.get(s.id, 0) for s in surveys}


async def survey_by_origin(session: AsyncSession, origin_key: str) -> Survey | None:
    """The survey an event opened, by the key it was opened under."""
    return await repository.survey_by_origin(session, origin_key)

"""Surveys that open by themselves, from the enrollment service's events.

- `enrollment.attendance_recorded`: the session's evaluation opens (one per session) and invites those
  marked as attended; someone corrected to absent or excused loses an unused invitation.
- `enrollment.confirmed` / `enrollment.promoted` of a leader group's place in a programme taken whole:
  the group's baseline self-evaluation opens (one per group and programme) and invites each member who
  holds a place. It stays open until the programme's first session starts, and at least
  `FEEDBACK_BASELINE_MIN_HOURS` (a group that enrolls late still gets time to answer).
- `enrollment.participation_completed` of a member of a group that has a baseline for the programme:
  the group's follow-up opens and invites each member as they complete. A completion without a baseline
  (the group did not enroll in the programme as a group) opens nothing: there is nothing to compare.

Times come from the event, not the clock, so a replayed event decides the same way.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.directory.models import KnownOffering
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys import service, templates
from services.feedback.surveys.models import SurveyStatus
from services.feedback.surveys.service import SYSTEM, Scope
from services.feedback.surveys.shipped import SELF_EVALUATION, SESSION_EVALUATION
from services.kernel.eventbus import Event, Handler, Subscription
from services.kernel.eventbus.envelope import ConsumedPayload

BASELINE = "baseline"
FOLLOW_UP = "follow-up"


class AttendanceRecord(ConsumedPayload):
    person_id: uuid.UUID
    attendance: str


class AttendanceRecorded(ConsumedPayload):
    session_id: uuid.UUID
    offering_id: uuid.UUID
    records: list[AttendanceRecord]


class Place(ConsumedPayload):
    offering_id: uuid.UUID
    person_id: uuid.UUID
    leader_group_id: uuid.UUID | None = None
    programme: bool = False
    session_starts_at: datetime | None = None


class Completion(ConsumedPayload):
    offering_id: uuid.UUID
    person_id: uuid.UUID
    leader_group_id: uuid.UUID | None = None


# What an automatically opened survey is called, in bokmål and English, before the offering's title.
TITLES = {
    SESSION_EVALUATION: ("Evaluering", "Evaluation"),
    BASELINE: ("Egenevaluering før programmet", "Self-evaluation before the programme"),
    FOLLOW_UP: ("Egenevaluering etter programmet", "Self-evaluation after the programme"),
}


async def _titles(session: AsyncSession, kind: str, offering_id: uuid.UUID) -> dict[str, str]:
    """The survey's `title` and `title_en`: the kind's words and the offering's title in each language."""
    offering = await session.get(KnownOffering, offering_id)
    nb, en = TITLES[kind]
    title = offering.title if offering else "programmet"
    title_en = (offering.title_en or offering.title) if offering else "the programme"
    return {"title": f"{nb}: {title}", "title_en": f"{en}: {title_en}"}


def handler(settings: FeedbackSettings) -> Handler:
    async def on_event(session: AsyncSession, event: Event) -> None:
        if event.topic == "enrollment.attendance_recorded":
            await _session_evaluation(session, settings, event)
        elif event.topic == "enrollment.participation_completed":
            await _follow_up(session, settings, event)
        else:
            await _baseline(session, settings, event)

    return on_event


async def _session_evaluation(session: AsyncSession, settings: FeedbackSettings, event: Event) -> None:
    payload = AttendanceRecorded.model_validate(event.payload)
    attended = {r.person_id for r in payload.records if r.attendance == "attended"}
    others = {r.person_id for r in payload.records} - attended
    key = f"{SESSION_EVALUATION}:{payload.session_id}"
    survey = await service.survey_by_origin(session, key)
    if survey is None and attended:
        survey, _ = await service.open_survey(
            session,
            settings,
            template=await templates.template_version(session, SESSION_EVALUATION),
            kind=SESSION_EVALUATION,
            **await _titles(session, SESSION_EVALUATION, payload.offering_id),
            scope=Scope(session_id=payload.session_id, offering_id=payload.offering_id),
            open_until=event.occurred_at + timedelta(days=settings.session_evaluation_days),
            actor=SYSTEM,
            people=attended,
            origin_key=key,
        )
    elif survey is not None:
        await service.invite(session, settings, survey, attended)
        await service.withdraw(session, survey, others)


async def _baseline(session: AsyncSession, settings: FeedbackSettings, event: Event) -> None:
    place = Place.model_validate(event.payload)
    if place.leader_group_id is None or not place.programme:
        return
    earliest = event.occurred_at + timedelta(hours=settings.baseline_min_hours)
    deadline = max(place.session_starts_at or earliest, earliest)
    key = f"{BASELINE}:{place.leader_group_id}:{place.offering_id}"
    survey, created = await service.open_survey(
        session,
        settings,
        template=await templates.template_version(session, SELF_EVALUATION),
        kind=BASELINE,
        **await _titles(session, BASELINE, place.offering_id),
        scope=Scope(offering_id=place.offering_id, leader_group_id=place.leader_group_id),
        open_until=deadline,
        actor=SYSTEM,
        people=[place.person_id],
        origin_key=key,
    )
    if (
        not created
        and survey.status == SurveyStatus.open
        and survey.opened_by == SYSTEM
        and deadline < survey.open_until
    ):
        # Another session of the programme starts sooner: the baseline is due before that one.
        survey.open_until = deadline


async def _follow_up(session: AsyncSession, settings: FeedbackSettings, event: Event) -> None:
    completion = Completion.model_validate(event.payload)
    if completion.leader_group_id is None:
        return
    group, offering = completion.leader_group_id, completion.offering_id
    baseline = await service.survey_by_origin(session, f"{BASELINE}:{group}:{offering}")
    if baseline is None:
        return
    await service.open_survey(
        session,
        settings,
        template=await templates.template_version(session, SELF_EVALUATION),
        kind=FOLLOW_UP,
        **await _titles(session, FOLLOW_UP, offering),
        scope=Scope(offering_id=offering, leader_group_id=group),
        open_until=event.occurred_at + timedelta(days=settings.followup_days),
        actor=SYSTEM,
        people=[completion.person_id],
        origin_key=f"{FOLLOW_UP}:{group}:{offering}",
    )


def surveys_subscription(settings: FeedbackSettings) -> Subscription:
    return Subscription(
        name="feedback.surveys",
        topics=(
            "enrollment.attendance_recorded",
            "enrollment.confirmed",
            "enrollment.promoted",
            "enrollment.participation_completed",
        ),
        handler=handler(settings),
    )

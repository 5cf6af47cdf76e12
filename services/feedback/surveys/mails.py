"""Mails about surveys: an invitation when someone is invited, one reminder before a survey closes.

The feedback service keeps no addresses: it publishes `feedback.mail_requested` (the person, the kind,
the survey's title, closing time and link) in the transaction that invites or reminds, and the
enrollment service's mail queue, which keeps the directory's addresses, sends it with the same
guarantees as its own mails (sent once, retried, an uncertain outcome not resent).

Who is reminded: the anonymity design lets this service know who has fetched a credential (that step is
signed in) but never who answered (the ballot comes without a name). The reminder goes to the invitees
who have not fetched one; someone who fetched a credential and has not used it gets none. The text
says nothing about anyone else's participation, and asks those who answered to ignore it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.events import SOURCE, MailRequested
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys import repository
from services.feedback.surveys.models import Survey
from services.kernel import clock
from services.kernel.eventbus import publish_many
from services.kernel.schemas import OSLO

log = logging.getLogger(__name__)

INVITATION = "survey-invitation"
REMINDER = "survey-reminder"
DAYTIME = range(8, 21)  # hours in Oslo when reminders may go out


async def request(
    session: AsyncSession, settings: FeedbackSettings, survey: Survey, people: Iterable[uuid.UUID], kind: str
) -> None:
    """Publish a mail request of `kind` to each person about the survey."""
    data = {
        "survey_id": str(survey.id),
        "offering_title": survey.title,
        "offering_title_en": survey.title_en,
        "closes_at": survey.open_until.isoformat(),
        "link": settings.survey_link.format(survey_id=survey.id),
    }
    events = [
        (MailRequested(recipient_person_id=person, kind=kind, data=data), person)
        for person in sorted(set(people))
    ]
    if events:
        await publish_many(session, events, source=SOURCE)


async def send_due_reminders(
    sessionmaker: async_sessionmaker[AsyncSession], settings: FeedbackSettings
) -> None:
    """Remind the invitees without a credential of each survey whose reminder is due (a periodic job;
    each survey is reminded once, on whichever replica locks it first)."""
    now = clock.now()
    if settings.survey_reminder_hours <= 0 or now.astimezone(OSLO).hour not in DAYTIME:
        return
    before = timedelta(hours=settings.survey_reminder_hours)
    while True:
        async with sessionmaker() as session, session.begin():
            survey = await repository.next_survey_to_remind(session, now, before)
            if survey is None:
                return
            people = await repository.not_credentialed(session, survey.id)
            await request(session, settings, survey, people, REMINDER)
            survey.reminded_at = now
            log.info("survey %s: %d reminders handed to the mail queue", survey.id, len(people))

"""Survey mails: an invitation to each person a survey invites (and to those invited later), one reminder
before it closes to those who have not fetched a credential, sent by the enrollment service's mail queue
over SMTP; no mail says anything about anyone else."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.feedback.settings import FeedbackSettings
from services.feedback.surveys.mails import send_due_reminders
from services.kernel import clock as kernel_clock
from services.kernel.schemas import OSLO
from tests.feedback.support import Respondent, attendance, credential, invitation
from tests.mailbox import Inbox, plain
from tests.support import TokenFactory, create_person, eventually


async def _mails(inbox: Inbox, count: int) -> list[EmailMessage] | None:
    return list(inbox.messages) if len(inbox.messages) >= count else None


def _to(message: EmailMessage) -> str:
    return str(message["To"].addresses[0].addr_spec)


async def test_invitations_and_one_reminder_reach_people_by_mail(
    feedback: httpx.AsyncClient,
    mailing_enrollment: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: TokenFactory,
    crowd: dict[str, list[Respondent]],
    smtp: tuple[Inbox, int],
    feedback_settings: dict[str, Any],
    clock: Callable[[float], None],
) -> None:
    inbox, _ = smtp
    alna = crowd["alna"]
    async with sessionmaker() as session, session.begin():  # their addresses, in the enrollment directory
        for r in alna[:5]:
            await create_person(session, r.email, id=r.person_id, name=f"Leder {r.email[:7]}")
    session_id, offering_id = uuid.uuid4(), uuid.uuid4()
    await attendance(sessionmaker, session_id, offering_id, attended=alna[:4])

    invited = await eventually(partial(_mails, inbox, 4))
    assert sorted(_to(m) for m in invited) == sorted(r.email for r in alna[:4])
    found = await invitation(feedback, tokens, alna[0])
    link = f"https://intranett.oslo.kommune.no/lederutvikling/evalueringer/{found['survey_id']}"
    texts = {plain(m) for m in invited}
    assert len(texts) == 1  # the same words to everyone: nothing about who else is asked
    [body] = texts
    assert link in body
    assert "anonymt" in body
    assert all(m["Subject"].startswith("Invitasjon: ") for m in invited)

    # Someone who took part later is invited then, and only they get a mail.
    await attendance(sessionmaker, session_id, offering_id, attended=alna[:5])
    [late] = (await eventually(partial(_mails, inbox, 5)))[4:]
    assert _to(late) == alna[4].email

    await credential(feedback, tokens, alna[0])  # fetched: the service cannot tell whether it was used

    # Two days before it closes, by day: a reminder to those without a credential, once.
    closes = datetime.fromisoformat(found["open_until"])
    moment = closes - timedelta(hours=47)
    while moment.astimezone(OSLO).hour not in range(9, 20):
        moment += timedelta(hours=1)
    clock((moment - kernel_clock.now()).total_seconds())
    settings = FeedbackSettings(**feedback_settings)
    await send_due_reminders(sessionmaker, settings)
    await send_due_reminders(sessionmaker, settings)
    reminders = (await eventually(partial(_mails, inbox, 9)))[5:]
    assert sorted(_to(m) for m in reminders) == sorted(r.email for r in alna[1:5])
    assert all(m["Subject"].startswith("Påminnelse: ") for m in reminders)
    assert link in plain(reminders[0])
    clock(3600)
    await send_due_reminders(sessionmaker, settings)
    assert len(inbox.messages) == 9

"""Reminders before sessions: due two days before (Oslo time), sent by day, once per person and session
whatever the replicas, never to someone who cancelled or only waits, and not for offerings whose
coordinators turned them off."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.directory.models import Person
from services.enrollment.events import NotificationKind, NotificationRequested
from services.enrollment.notifications.compose import compose
from services.enrollment.notifications.reminders import send_due_reminders
from services.enrollment.settings import EnrollmentSettings
from services.kernel import clock as kernel_clock
from services.kernel.schemas import OSLO
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, coordinator, enroll, payloads
from tests.enrollment.test_mail import event_for
from tests.mailbox import plain


def _until(hour: int) -> float:
    """Seconds from now to tomorrow at `hour` in Oslo."""
    now = kernel_clock.now().astimezone(OSLO)
    target = (now + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return (target - now).total_seconds()


async def _reminded(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    found = await payloads(sessionmaker, NotificationRequested.topic)
    return sorted(
        (p["data"]["session_id"], p["recipient_person_id"])
        for p in found
        if p["kind"] == NotificationKind.session_reminder
    )


async def test_reminders_go_once_by_day_to_those_who_hold_a_place(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Callable[[float], None],
    service_settings: Callable[..., dict[str, Any]],
) -> None:
    night = _until(2)  # tomorrow, 02:00 in Oslo: where the clock goes once the places are taken
    async with sessionmaker() as session, session.begin():
        offering = await add_offering(session, title="Fagdag: Krisehåndtering", audience="everyone")
        quiet = await add_offering(session, title="Uten påminnelser", audience="everyone")
        soon = await add_session(session, offering, capacity=2, days=1.5, venue="Rådhuset", room="Møterom 3")
        later = await add_session(session, offering, days=10)
        muted = await add_session(session, quiet, days=1.5)
    # The day after tomorrow at 10:00: the reminder fell due today at 09:00.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "UPDATE enrollment.sessions SET starts_at = CAST(:at AS timestamptz), "
                "ends_at = CAST(:at AS timestamptz) + interval '3 hours' "
                "WHERE id = ANY(:ids)"
            ),
            {
                "at": kernel_clock.now() + timedelta(seconds=night, days=1, hours=8),
                "ids": [soon.id, muted.id],
            },
        )
    await enroll(enrollment, world.as_(world.leader), session_id=soon.id)
    leaving = await enroll(enrollment, world.as_(world.members[0]), session_id=soon.id)
    await enrollment.post(
        f"/enrollments/{leaving['id']}/cancel", json={}, headers=world.as_(world.members[0])
    )
    await enroll(enrollment, world.as_(world.members[1]), session_id=soon.id)
    await enroll(enrollment, world.as_(world.employee), session_id=soon.id)  # waits: the session is full
    await enroll(enrollment, world.as_(world.leader), session_id=later.id)
    await enroll(enrollment, world.as_(world.leader), session_id=muted.id)
    switched = await enrollment.put(
        f"/offerings/{quiet.id}/reminders",
        json={"reminders_enabled": False},
        headers=coordinator(world.tokens),
    )
    assert switched.status_code == 200, switched.text
    refused = await enrollment.put(
        f"/offerings/{quiet.id}/reminders", json={"reminders_enabled": True}, headers=world.as_(world.leader)
    )
    assert refused.status_code == 403
    unknown = await enrollment.put(
        f"/offerings/{uuid.uuid4()}/reminders",
        json={"reminders_enabled": True},
        headers=coordinator(world.tokens),
    )
    assert unknown.status_code == 404
    async with sessionmaker() as session, session.begin():  # the places were taken last week
        await session.execute(
            text("UPDATE enrollment.participations SET created_at = now() - interval '7 days'")
        )

    settings = EnrollmentSettings(**service_settings())
    clock(night)
    await send_due_reminders(sessionmaker, settings)
    assert await _reminded(sessionmaker) == []  # due since yesterday 09:00, but it is night

    clock(8 * 3600)  # 10:00
    # Two replicas at once, and again later: each person is reminded once.
    await asyncio.gather(
        send_due_reminders(sessionmaker, settings), send_due_reminders(sessionmaker, settings)
    )
    await send_due_reminders(sessionmaker, settings)
    expected = sorted((str(soon.id), str(p.id)) for p in (world.leader, world.members[1]))
    assert await _reminded(sessionmaker) == expected

    [payload] = [
        p
        for p in await payloads(sessionmaker, NotificationRequested.topic)
        if p["kind"] == NotificationKind.session_reminder and p["recipient_person_id"] == str(world.leader.id)
    ]
    notification = NotificationRequested.model_validate(payload)
    leader = Person(external_id="x", name="Ola", email=world.leader.email)
    message = compose(settings.mail_sender, leader, event_for(notification), notification)
    assert message["Subject"] == "Påminnelse: Fagdag: Krisehåndtering"
    body = plain(message)
    assert "Rådhuset, Møterom 3" in body
    starts = datetime.fromisoformat(payload["data"]["sessions"][0]["starts_at"]).astimezone(OSLO)
    assert f"kl. {starts:%H:%M}" in body
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]

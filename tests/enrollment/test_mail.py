"""Telling people: notification events become mails, as .eml files in development or over SMTP, and
each is sent once."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enrollment.directory.models import Person
from services.enrollment.events import NotificationKind, NotificationRequested
from services.enrollment.notifications.compose import compose
from services.enrollment.notifications.mailer import mail_subscription
from services.enrollment.settings import EnrollmentSettings
from services.kernel.eventbus import Event
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session, enroll
from tests.mailbox import Inbox, parse, plain
from tests.support import eventually


def event_for(payload: NotificationRequested) -> Event:
    return Event(
        id=1,
        xid="1",
        event_id=uuid.uuid4(),
        topic=payload.topic,
        source="enrollment",
        aggregate_type="person",
        aggregate_id=str(payload.recipient_person_id),
        aggregate_version=None,
        occurred_at=datetime.now(UTC),
        request_id=None,
        payload_version=1,
        payload=payload.model_dump(mode="json"),
    )


async def test_enrolling_writes_a_norwegian_mail_in_development(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_directory: Path,
) -> None:
    labels = {"service": "enrollment", "kind": "enrollment-confirmed", "outcome": "sent"}
    sent_before = REGISTRY.get_sample_value("mails_total", labels) or 0
    async with sessionmaker() as session, session.begin():
        course = await add_session(session, await add_offering(session, title="Fagdag: Tillitsreformen"))
    await enroll(enrollment, world.as_(world.leader), session_id=course.id)

    async def written() -> list[Path] | None:
        return sorted(await asyncio.to_thread(lambda: list(mail_directory.glob("*.eml")))) or None

    [path] = await eventually(written)
    message = parse(path.read_bytes())
    assert message["Subject"] == "Påmelding bekreftet: Fagdag: Tillitsreformen"
    assert world.leader.email in message["To"]
    assert "Du er påmeldt Fagdag: Tillitsreformen" in plain(message)

    async def recorded() -> str | None:
        # The file is written before the transaction that records the delivery as sent commits.
        async with sessionmaker() as session:
            status = await session.scalar(text("SELECT status FROM enrollment.mail_deliveries"))
        return status if status != "sending" else None

    assert await eventually(recorded) == "sent"
    assert REGISTRY.get_sample_value("mails_total", labels) == sent_before + 1


async def test_smtp_sends_each_mail_once_and_retries_when_the_server_refuses(
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: tuple[Inbox, int],
    service_settings: Callable[..., dict[str, Any]],
) -> None:
    inbox, port = smtp
    settings = EnrollmentSettings(
        **service_settings(mail_smtp_host="127.0.0.1", mail_smtp_port=port, mail_smtp_security="none")
    )
    handler = mail_subscription(settings).handler
    event = event_for(
        NotificationRequested(
            recipient_person_id=world.leader.id,
            kind=NotificationKind.waitlisted,
            data={
                "offering_title": "Refleksjonsgruppe",
                "position": 3,
                "starts_at": "2027-03-04T08:30:00+00:00",
            },
        )
    )
    inbox.refuse = True
    with pytest.raises(Exception, match="451"):
        async with sessionmaker() as session, session.begin():
            await handler(session, event)
    inbox.refuse = False
    for _ in range(2):  # the retry sends; a replay of the same event (a consumer restart) does not
        async with sessionmaker() as session, session.begin():
            await handler(session, event)
    [message] = inbox.messages
    assert message["Subject"] == "Du står på venteliste: Refleksjonsgruppe"
    assert message["Message-ID"].strip() == f"<{event.event_id}@lederutvikling.oslo.kommune.no>"
    body = plain(message)
    assert "nummer 3 på ventelisten" in body


async def test_a_mail_whose_outcome_is_unknown_is_not_sent_again(
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: tuple[Inbox, int],
    service_settings: Callable[..., dict[str, Any]],
) -> None:
    """The process died after handing the mail over but before recording it: at most once, flagged."""
    inbox, port = smtp
    settings = EnrollmentSettings(
        **service_settings(mail_smtp_host="127.0.0.1", mail_smtp_port=port, mail_smtp_security="none")
    )
    event = event_for(
        NotificationRequested(recipient_person_id=world.leader.id, kind=NotificationKind.confirmed, data={})
    )
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO enrollment.mail_deliveries "
                "(event_id, kind, recipient_person_id, status, message_id) "
                "VALUES (:id, 'enrollment-confirmed', :person, 'sending', 'x')"
            ),
            {"id": event.event_id, "person": world.leader.id},
        )
    async with sessionmaker() as session, session.begin():
        await mail_subscription(settings).handler(session, event)
    assert inbox.messages == []
    async with sessionmaker() as session:
        assert await session.scalar(text("SELECT status FROM enrollment.mail_deliveries")) == "uncertain"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("kari@byrådsavdeling.oslo.kommune.no", "kari@xn--byrdsavdeling-rfb.oslo.kommune.no"),
        ("åse@uke.oslo.kommune.no", "åse@uke.oslo.kommune.no"),
    ],
)
def test_mails_reach_addresses_with_norwegian_letters(address: str, expected: str) -> None:
    """A domain with æøå is sent in its IDNA form; a local part with them as SMTPUTF8 (it made the mailer
    fail on every attempt before)."""
    person = Person(external_id="E1", name="Åse Ødegård", email=address)
    payload = NotificationRequested(
        recipient_person_id=uuid.uuid4(),
        kind=NotificationKind.confirmed,
        data={
            "offering_title": "Fagdag",
            "offering_id": str(uuid.uuid4()),
            "starts_at": None,
            "session_id": None,
        },
    )
    message = compose("Lederutvikling <lederutvikling@oslo.kommune.no>", person, event_for(payload), payload)
    raw = message.as_bytes()
    assert expected.encode() in raw
    received = email.message_from_string(raw.decode(), policy=email.policy.default)
    assert received["To"].addresses[0].display_name == "Åse Ødegård"


def test_a_name_or_title_with_a_line_break_still_makes_a_mail() -> None:
    """Data stored before the single-line rule (or from elsewhere) never makes the mailer fail: a line
    break in a name or a title becomes a space, and no header is split."""
    person = Person(external_id="E1", name="Kari\r\nBcc: x@example.com", email="kari@uke.oslo.kommune.no")
    payload = NotificationRequested(
        recipient_person_id=uuid.uuid4(),
        kind=NotificationKind.confirmed,
        data={"offering_title": "Fagdag\r\nX-Evil: 1", "offering_id": str(uuid.uuid4()), "session_id": None},
    )
    message = compose("Lederutvikling <lederutvikling@oslo.kommune.no>", person, event_for(payload), payload)
    received = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert received["To"].addresses[0].display_name == "Kari Bcc: x@example.com"
    assert received["Subject"] == "Påmelding bekreftet: Fagdag X-Evil: 1"
    assert received["Bcc"] is None
    assert received["X-Evil"] is None


async def test_a_mail_that_can_never_be_sent_fails_at_once_and_the_queue_moves_on(
    enrollment: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: tuple[Inbox, int],
    service_settings: Callable[..., dict[str, Any]],
) -> None:
    inbox, port = smtp
    settings = EnrollmentSettings(
        **service_settings(mail_smtp_host="127.0.0.1", mail_smtp_port=port, mail_smtp_security="none")
    )
    handler = mail_subscription(settings).handler
    inbox.unknown.add(world.leader.email)
    async with sessionmaker() as session, session.begin():
        unbuildable = await session.get(Person, world.employee.id)
        assert unbuildable is not None
        unbuildable.email = "ola@uke.oslo.kommune.no\r\nBcc: alle@oslo.kommune.no"
    labels = {"service": "enrollment", "kind": "enrollment-confirmed", "outcome": "failed"}
    failed_before = REGISTRY.get_sample_value("mails_total", labels) or 0
    events = [
        event_for(NotificationRequested(recipient_person_id=who.id, kind=NotificationKind.confirmed, data={}))
        for who in (world.leader, world.employee, world.other_leader)
    ]
    for event in events:  # neither failure raises: the bus goes straight on to the next mail
        async with sessionmaker() as session, session.begin():
            await handler(session, event)
    assert [m["To"].addresses[0].addr_spec for m in inbox.messages] == [world.other_leader.email]
    async with sessionmaker() as session:
        outcome = {
            row.event_id: (row.status, row.error)
            for row in await session.execute(
                text("SELECT event_id, status, error FROM enrollment.mail_deliveries")
            )
        }
    assert outcome[events[0].event_id][0] == "failed"
    assert "550 5.1.1 No such user" in outcome[events[0].event_id][1]
    assert outcome[events[1].event_id][0] == "failed"
    assert "cannot be built" in outcome[events[1].event_id][1]
    assert outcome[events[2].event_id] == ("sent", None)
    assert REGISTRY.get_sample_value("mails_total", labels) == failed_before + 2

    ops = world.tokens.header("ops", email="drift@uke.oslo.kommune.no")
    listed = await enrollment.get("/mail-deliveries", params={"status": "failed"}, headers=ops)
    assert listed.status_code == 200, listed.text
    assert {i["event_id"] for i in listed.json()["items"]} == {
        str(events[0].event_id),
        str(events[1].event_id),
    }
    assert all(i["error"] for i in listed.json()["items"])
    refused = await enrollment.get("/mail-deliveries", headers=world.as_(world.leader))
    assert refused.status_code == 403

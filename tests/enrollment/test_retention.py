"""Retention: each service's job deletes what has outlived the period its register states, and only
that; the mailer sends nothing for an event older than its records of mails sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.privacy.retention import RULES as CATALOG_RULES
from services.enrollment.enrollments.models import Enrollment, EnrollmentAudit, Participation
from services.enrollment.events import NotificationKind, NotificationRequested
from services.enrollment.notifications.mailer import mail_subscription
from services.enrollment.privacy.register import REGISTER
from services.enrollment.privacy.retention import RULES
from services.enrollment.privacy.service import erase_departed
from services.enrollment.settings import EnrollmentSettings
from services.feedback.privacy.retention import RULES as FEEDBACK_RULES
from services.kernel.retention import BATCH, ENFORCED_BY, enforce
from tests.enrollment.conftest import World
from tests.enrollment.support import add_offering, add_session
from tests.enrollment.test_mail import event_for

NOW = datetime.now(UTC)
LONG_AGO = NOW - timedelta(days=365 * 11)


async def count(sessionmaker: async_sessionmaker[AsyncSession], table: str) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def test_what_outlived_its_period_goes_and_the_rest_stays(
    world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    person = world.leader.id
    async with sessionmaker() as session, session.begin():
        offering = await add_offering(session, kind_code="coaching")
        ended, upcoming = (
            await add_session(session, offering, days=-100),
            await add_session(session, offering),
        )
        rows = {
            "mail_deliveries": """INSERT INTO enrollment.mail_deliveries
                (event_id, kind, recipient_person_id, status, message_id, claimed_at)
                VALUES (gen_random_uuid(), 'enrollment-confirmed', :p, 'sent', 'm', :at)""",
            "session_reminders": "INSERT INTO enrollment.session_reminders VALUES (:s, :p, :at)",
            "calendar_feeds": """INSERT INTO enrollment.calendar_feeds
                (id, person_id, secret_hash, revoked_at)
                VALUES (gen_random_uuid(), :p, decode(md5(gen_random_uuid()::text), 'hex'), :at)""",
            "personal_data_reads": """INSERT INTO enrollment.personal_data_reads
                (reader_oid, purpose, at) VALUES ('reader', 'roster', :at)""",
            "erasures": """INSERT INTO enrollment.erasures
                (id, new_person_id, pseudonym, ordered_by, reason, ordered_at, event_id, scrubbed_at)
                VALUES (gen_random_uuid(), gen_random_uuid(), 'erased-x', 'o', 'r', :at,
                        gen_random_uuid(), :at)""",
            "reflection_rounds": """INSERT INTO enrollment.reflection_rounds
                (id, offering_id, status, min_size, max_size, seed, version, created_by_oid, created_at)
                VALUES (gen_random_uuid(), :o, 'confirmed', 5, 7, 1, 1, 'c', :at)""",
        }
        endpoint = await session.scalar(
            text(
                """INSERT INTO enrollment.webhook_endpoints (id, url, topics, secret, enabled)
                   VALUES (gen_random_uuid(), 'https://hr.example.org/h', '{enrollment.confirmed}', 's', true)
                   RETURNING id"""
            )
        )
        rows["webhook_attempts"] = """INSERT INTO enrollment.webhook_attempts
            (endpoint_id, event_id, topic, attempted_at, delivered, duration_ms)
            VALUES (:w, gen_random_uuid(), 'enrollment.confirmed', :at, true, 3)"""
        for at, session_id in ((LONG_AGO, ended.id), (NOW, upcoming.id)):
            values = {"p": person, "at": at, "s": session_id, "o": offering.id, "w": endpoint}
            for sql in rows.values():
                await session.execute(text(sql), values)
            await session.execute(
                text("INSERT INTO enrollment.calendar_sequences VALUES (:p, :s, 1, 0, 'REQUEST')"),
                values,
            )
            completion = await session.scalar(
                text(
                    """INSERT INTO enrollment.completions (id, person_id, offering_id, status,
                       attended_sessions, required_sessions, completed_at)
                       VALUES (gen_random_uuid(), :p, :o, 'withdrawn', 1, 1, :at) RETURNING id"""
                ),
                values,
            )
            await session.execute(
                text(
                    "INSERT INTO enrollment.completion_feed (completion_id, change) VALUES (:c, 'completed')"
                ),
                {"c": completion},
            )
            request = await session.scalar(
                text(
                    """INSERT INTO enrollment.coaching_requests
                       (id, offering_id, person_id, note, preferred_times, state, term, created_at,
                        updated_at, version)
                       VALUES (gen_random_uuid(), :o, :p, 'Om lederrollen', '', 'completed', '2015-spring',
                               :at, :at, 1) RETURNING id"""
                ),
                values,
            )
            await session.execute(
                text(
                    """INSERT INTO enrollment.coaching_request_changes
                       (request_id, action, to_state, actor_oid) VALUES (:r, 'completed', 'completed', 'c')"""
                ),
                {"r": request},
            )
        # More old reads than one batch takes.
        await session.execute(
            text(
                """INSERT INTO enrollment.personal_data_reads (reader_oid, purpose, at)
                   SELECT 'reader', 'roster', :at FROM generate_series(1, :n)"""
            ),
            {"at": LONG_AGO, "n": BATCH + 7},
        )
    deleted = await enforce(sessionmaker, RULES)
    assert deleted == {
        "enrollment.mail_deliveries": 1,
        "enrollment.session_reminders": 1,
        "enrollment.calendar_sequences": 1,  # the session that ended a hundred days ago
        "enrollment.calendar_feeds": 1,
        "enrollment.completion_feed": 1,
        "enrollment.completions": 1,
        "enrollment.coaching_request_changes": 1,
        "enrollment.coaching_sessions": 0,
        "enrollment.coaching_requests": 1,
        "enrollment.reflection_rounds": 1,
        "enrollment.personal_data_reads": BATCH + 8,
        "enrollment.enrollment_audit": 0,  # no enrolment here is five years past its sessions
        "enrollment.participations": 0,
        "enrollment.enrollments": 0,
        "enrollment.webhook_attempts": 1,
        "enrollment.erasures": 1,
    }
    for table in deleted:
        kept = await count(sessionmaker, table)
        empty = {
            "enrollment.coaching_sessions",
            "enrollment.enrollment_audit",
            "enrollment.participations",
            "enrollment.enrollments",
        }
        assert kept == (0 if table in empty else 1), table
    assert set((await enforce(sessionmaker, RULES)).values()) == {0}  # nothing more on a second run
    # An open request is kept however old: its period starts when it ends.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE enrollment.coaching_requests SET state = 'scheduled', updated_at = :at"),
            {"at": LONG_AGO},
        )
    assert (await enforce(sessionmaker, RULES))["enrollment.coaching_requests"] == 0


async def test_enrolments_go_five_years_after_their_sessions_ended(
    world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """An enrolment, its places and its history go when all its sessions ended five years ago; one in a
    programme with a later session, or in a session that ended since, stays."""
    six_years = -6 * 365
    async with sessionmaker() as session, session.begin():
        offering, programme = await add_offering(session), await add_offering(session, is_programme=True)
        old = await add_session(session, offering, days=six_years)
        recent = await add_session(session, offering, days=-4 * 365)
        early, late = (
            await add_session(session, programme, days=six_years),
            await add_session(session, programme, days=-30),
        )
        created = NOW + timedelta(days=six_years - 30)
        booked = {}
        for name, course, offering_id in (
            ("old", old, offering.id),
            ("recent", recent, offering.id),
            ("programme", None, programme.id),
        ):
            enrollment = Enrollment(
                offering_id=offering_id,
                session_id=course.id if course else None,
                person_id=world.leader.id,
                enrolled_by_oid="o",
                created_at=created,
            )
            session.add(enrollment)
            await session.flush()
            for place in [course] if course else [early, late]:
                session.add(
                    Participation(enrollment_id=enrollment.id, session_id=place.id, person_id=world.leader.id)
                )
            session.add(
                EnrollmentAudit(enrollment_id=enrollment.id, action="enrolled", actor_oid="o", at=created)
            )
            booked[name] = enrollment.id
    deleted = await enforce(sessionmaker, RULES)
    assert deleted["enrollment.enrollments"] == 1
    assert deleted["enrollment.participations"] == 1
    assert deleted["enrollment.enrollment_audit"] == 1
    async with sessionmaker() as session:
        left = set((await session.execute(text("SELECT id FROM enrollment.enrollments"))).scalars())
    assert left == {booked["recent"], booked["programme"]}


def test_the_register_says_which_periods_are_enforced() -> None:
    enforced = {table for line in REGISTER if line.enforced_by == ENFORCED_BY for table in line.stored_in}
    assert {rule.table for rule in RULES} - {"enrollment.completion_feed"} <= enforced | {
        "enrollment.completion_feed"
    }
    # Every table of a line said to be enforced has a rule, so the line is true (members and pins go
    # with their round; idempotency keys are purged by the idempotency service after 24 hours).
    assert enforced <= {rule.table for rule in RULES} | {
        "enrollment.reflection_members",
        "enrollment.reflection_pins",
        "enrollment.idempotency_keys",
    }
    assert {rule.table for rule in CATALOG_RULES} == {"catalog.personal_data_reads"}


async def test_no_mail_for_an_event_older_than_the_records_of_mails_sent(
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    service_settings: Callable[..., dict[str, Any]],
) -> None:
    sent: list[Any] = []

    class Recorder:
        async def send(self, message: Any) -> None:
            sent.append(message)

    handler = mail_subscription(EnrollmentSettings(**service_settings()), Recorder()).handler
    payload = NotificationRequested(
        recipient_person_id=world.leader.id, kind=NotificationKind.waitlisted, data={"offering_title": "X"}
    )
    stale = event_for(payload).model_copy(update={"occurred_at": NOW - timedelta(days=91)})
    async with sessionmaker() as session, session.begin():
        await handler(session, stale)
    assert sent == []
    assert await count(sessionmaker, "enrollment.mail_deliveries") == 0
    async with sessionmaker() as session, session.begin():
        await handler(session, event_for(payload))
    assert len(sent) == 1


@pytest.mark.parametrize("rules", [CATALOG_RULES, FEEDBACK_RULES])
def test_other_services_enforce_the_read_log_period(rules: Any) -> None:
    assert rules[0].expired == "at < :now - interval '5 years'"


async def test_people_hr_deactivated_are_erased_after_the_grace_period(
    world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE enrollment.people SET active = false, updated_at = :at WHERE id = ANY(:ids)"),
            {"at": NOW - timedelta(days=31), "ids": [world.employee.id]},
        )
        await session.execute(
            text("UPDATE enrollment.people SET active = false, updated_at = :at WHERE id = :id"),
            {"at": NOW - timedelta(days=29), "id": world.members[0].id},
        )
    async with sessionmaker() as session, session.begin():
        assert await erase_departed(session, None) == 1
    async with sessionmaker() as session:
        left = set(await session.scalars(text("SELECT email FROM enrollment.people WHERE NOT active")))
        erased = await session.scalar(
            text("SELECT count(*) FROM enrollment.erasures WHERE ordered_by = 'retention'")
        )
    assert left == {world.members[0].email, ""}  # the one within the grace period, and a pseudonym
    assert erased == 1
    async with sessionmaker() as session, session.begin():
        assert await erase_departed(session, None) == 0  # the pseudonym is not erased again

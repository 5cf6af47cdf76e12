"""SQL for access requests: everything the enrolment service holds about one person."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import TextClause, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.enrollment.directory.models import Person
from services.enrollment.privacy.models import Erasure
from services.kernel.erasure import erasure_sql, reads_statement
from services.kernel.privacy import reads_queries, subject_sql

# Category -> the rows about the person (`:person_id`, `:oid`).
SUBJECT = {
    "person": subject_sql(
        """SELECT p.id, p.external_id, p.name, p.email, p.entra_oid, p.language, p.active,
                  u.name AS org_unit, p.manager_external_id, p.updated_at
           FROM enrollment.people p LEFT JOIN enrollment.org_units u ON u.id = p.org_unit_id
           WHERE p.id = {pid}"""
    ),
    "leader_groups": subject_sql(
        """SELECT g.id, g.name, g.leader_id = {pid} AS leads, m.role_title
           FROM enrollment.leader_groups g
           LEFT JOIN enrollment.leader_group_members m ON m.group_id = g.id AND m.person_id = {pid}
           WHERE g.leader_id = {pid} OR m.person_id IS NOT NULL ORDER BY g.name"""
    ),
    "audience": subject_sql("SELECT facts FROM enrollment.audience_published WHERE person_id = {pid}"),
    "enrollments": subject_sql(
        """SELECT e.id, e.offering_id, o.title AS offering, e.session_id, e.kind, e.status,
                  e.person_id = {pid} AS own, e.confirmed_at, e.cancelled_at, e.cancel_reason, e.created_at
           FROM enrollment.enrollments e LEFT JOIN enrollment.offerings o ON o.id = e.offering_id
           WHERE e.person_id = {pid} OR e.enrolled_by_oid = {oid} ORDER BY e.created_at"""
    ),
    "places": subject_sql(
        """SELECT pa.id, pa.enrollment_id, pa.session_id, s.offering_title, s.starts_at, pa.status,
                  pa.attendance, pa.attendance_marked_at, pa.cancelled_at, pa.cancel_reason, pa.created_at
           FROM enrollment.participations pa JOIN enrollment.sessions s ON s.id = pa.session_id
           WHERE pa.person_id = {pid} ORDER BY s.starts_at"""
    ),
    "enrollment_changes": subject_sql(
        """SELECT a.enrollment_id, a.action, a.reason, a.at, a.actor_oid = {oid} AS by_them
           FROM enrollment.enrollment_audit a
           WHERE a.actor_oid = {oid}
              OR a.enrollment_id IN (SELECT e.id FROM enrollment.enrollments e WHERE e.person_id = {pid})
           ORDER BY a.at, a.id"""
    ),
    "attendance_marked": subject_sql(
        """SELECT pa.session_id, pa.attendance, pa.attendance_marked_at FROM enrollment.participations pa
           WHERE pa.attendance_marked_by_oid = {oid} ORDER BY pa.attendance_marked_at"""
    ),
    "completions": subject_sql(
        """SELECT c.id, c.offering_id, o.title AS offering, c.status, c.attended_sessions,
                  c.required_sessions, c.completed_at, c.withdrawn_at, c.person_id = {pid} AS own
           FROM enrollment.completions c LEFT JOIN enrollment.offerings o ON o.id = c.offering_id
           WHERE c.person_id = {pid} OR c.withdrawn_by_oid = {oid} ORDER BY c.completed_at"""
    ),
    "mails": subject_sql(
        """SELECT event_id, kind, status, sent_at FROM enrollment.mail_deliveries
           WHERE recipient_person_id = {pid} ORDER BY sent_at"""
    ),
    "reminders": subject_sql(
        """SELECT session_id, sent_at FROM enrollment.session_reminders
           WHERE person_id = {pid} ORDER BY sent_at"""
    ),
    "calendar_invitations": subject_sql(
        """SELECT session_id, sequence, method FROM enrollment.calendar_sequences
           WHERE person_id = {pid} ORDER BY session_id"""
    ),
    "calendar_feeds": subject_sql(
        """SELECT id, created_at, revoked_at, last_read_at FROM enrollment.calendar_feeds
           WHERE person_id = {pid} ORDER BY created_at"""
    ),
    "coaching_requests": subject_sql(
        """SELECT id, offering_id, note, preferred_times, state, reason, term, created_at, updated_at
           FROM enrollment.coaching_requests WHERE person_id = {pid} ORDER BY created_at"""
    ),
    "coaching_request_changes": subject_sql(
        """SELECT c.request_id, c.action, c.from_state, c.to_state, c.at, c.actor_oid = {oid} AS by_them
           FROM enrollment.coaching_request_changes c
           WHERE c.actor_oid = {oid}
              OR c.request_id IN (SELECT r.id FROM enrollment.coaching_requests r WHERE r.person_id = {pid})
           ORDER BY c.at, c.id"""
    ),
    "as_coach": subject_sql(
        """SELECT id, name, email, organisation, kind, language, capacity_per_term, active, created_at
           FROM enrollment.coaches WHERE entra_oid = {oid}"""
    ),
    "reflection_groups": subject_sql(
        """SELECT m.round_id, m.group_number, r.offering_id, r.status, r.confirmed_at
           FROM enrollment.reflection_members m JOIN enrollment.reflection_rounds r ON r.id = m.round_id
           WHERE m.person_id = {pid} ORDER BY r.created_at"""
    ),
    "reflection_pins": subject_sql(
        """SELECT round_id, kind FROM enrollment.reflection_pins
           WHERE person_a = {pid} OR person_b = {pid}"""
    ),
    "reflection_rounds_made": subject_sql(
        """SELECT id, offering_id, status, created_at, confirmed_at FROM enrollment.reflection_rounds
           WHERE created_by_oid = {oid} OR confirmed_by_oid = {oid} ORDER BY created_at"""
    ),
    "requests_repeated": subject_sql(
        """SELECT route, key, status_code, created_at FROM enrollment.idempotency_keys
           WHERE owner_oid = {oid} ORDER BY created_at"""
    ),
    **reads_queries("enrollment"),
}


async def find_person(
    session: AsyncSession, *, person_id: uuid.UUID | None, oid: str | None, email: str | None
) -> Person | None:
    """The directory's person by id, Entra object id or e-mail (case-insensitive)."""
    query = text(
        """SELECT id FROM enrollment.people
           WHERE id = CAST(:person_id AS uuid) OR entra_oid = CAST(:oid AS text)
              OR lower(email) = lower(CAST(:email AS text))
           ORDER BY id LIMIT 1"""
    )
    found = await session.scalar(query, {"person_id": person_id, "oid": oid, "email": email})
    return await session.get(Person, found) if found is not None else None


def _change_log(table: str) -> TextClause:
    """A change log's rows the erased person made (their oid becomes the pseudonym) or that mention
    them in their details (the ids rewritten)."""
    return erasure_sql(
        f"""UPDATE {table}
            SET actor_oid = CASE WHEN actor_oid = :oid THEN :pseudo ELSE actor_oid END,
                details = CAST(replace(replace(CAST(details AS text), :old_text, :new_text),
                                       coalesce(:oid, :old_text), :pseudo) AS jsonb)
            WHERE actor_oid = :oid OR CAST(details AS text) LIKE '%' || :old_text || '%'
               OR (:oid IS NOT NULL AND CAST(details AS text) LIKE '%' || :oid || '%')"""  # noqa: S608
    )


# Erasure (docs/adr/0017-erasure-by-re-keying.md), in order: the pseudonymous person first (so references
# can move to it), then every reference moved, cleared or deleted, then the person row itself. Names:
# :old / :new person ids, :oid and :pseudo (what stands where the oid stood), :ext (the HR employee id).
ERASE = [
    erasure_sql(
        """INSERT INTO enrollment.people (id, external_id, name, email, entra_oid, org_unit_id,
                  org_unit_external_id, active, language)
           SELECT :new, 'erased-' || :new, 'Slettet person', '', NULL, org_unit_id, org_unit_external_id,
                  false, language
           FROM enrollment.people WHERE id = :old"""
    ),
    erasure_sql(
        """UPDATE enrollment.people SET manager_id = NULL, manager_external_id = NULL
           WHERE manager_id = :old OR manager_external_id = :ext"""
    ),
    erasure_sql(
        """UPDATE enrollment.leader_groups
           SET leader_id = CASE WHEN leader_id = :old THEN :new ELSE leader_id END,
               leader_external_id = NULL
           WHERE leader_id = :old OR leader_external_id = :ext"""
    ),
    erasure_sql(
        """DELETE FROM enrollment.leader_group_members
           WHERE person_id = :old OR person_external_id = :ext"""
    ),
    erasure_sql("DELETE FROM enrollment.audience_published WHERE person_id = :old"),
    erasure_sql(
        """UPDATE enrollment.enrollments SET person_id = :new, cancel_reason = NULL
           WHERE person_id = :old"""
    ),
    erasure_sql("UPDATE enrollment.enrollments SET enrolled_by_oid = :pseudo WHERE enrolled_by_oid = :oid"),
    erasure_sql(
        """UPDATE enrollment.participations SET person_id = :new, cancel_reason = NULL
           WHERE person_id = :old"""
    ),
    erasure_sql(
        """UPDATE enrollment.participations SET attendance_marked_by_oid = :pseudo
           WHERE attendance_marked_by_oid = :oid"""
    ),
    _change_log("enrollment.enrollment_audit"),
    erasure_sql("UPDATE enrollment.completions SET person_id = :new WHERE person_id = :old"),
    erasure_sql("UPDATE enrollment.completions SET withdrawn_by_oid = :pseudo WHERE withdrawn_by_oid = :oid"),
    erasure_sql("DELETE FROM enrollment.mail_deliveries WHERE recipient_person_id = :old"),
    erasure_sql("DELETE FROM enrollment.calendar_sequences WHERE person_id = :old"),
    erasure_sql("DELETE FROM enrollment.session_reminders WHERE person_id = :old"),
    erasure_sql("DELETE FROM enrollment.calendar_feeds WHERE person_id = :old"),
    erasure_sql("DELETE FROM enrollment.idempotency_keys WHERE owner_oid = :oid"),
    erasure_sql(
        """UPDATE enrollment.idempotency_keys
           SET response = CAST(replace(CAST(response AS text), :old_text, :new_text) AS jsonb)
           WHERE CAST(response AS text) LIKE '%' || :old_text || '%'"""
    ),
    erasure_sql(
        """UPDATE enrollment.coaching_requests SET person_id = :new, note = '', preferred_times = ''
           WHERE person_id = :old"""
    ),
    _change_log("enrollment.coaching_request_changes"),
    erasure_sql(
        """UPDATE enrollment.coaches SET name = 'Slettet person', email = '', organisation = '',
                  entra_oid = NULL, active = false
           WHERE entra_oid = :oid"""
    ),
    erasure_sql(
        """UPDATE enrollment.reflection_rounds
           SET created_by_oid = CASE WHEN created_by_oid = :oid THEN :pseudo ELSE created_by_oid END,
               confirmed_by_oid = CASE WHEN confirmed_by_oid = :oid THEN :pseudo ELSE confirmed_by_oid END
           WHERE created_by_oid = :oid OR confirmed_by_oid = :oid"""
    ),
    erasure_sql("UPDATE enrollment.reflection_members SET person_id = :new WHERE person_id = :old"),
    erasure_sql(
        """UPDATE enrollment.reflection_pins
           SET person_a = least(CASE WHEN person_a = :old THEN :new ELSE person_a END,
                                CASE WHEN person_b = :old THEN :new ELSE person_b END),
               person_b = greatest(CASE WHEN person_a = :old THEN :new ELSE person_a END,
                                   CASE WHEN person_b = :old THEN :new ELSE person_b END)
           WHERE person_a = :old OR person_b = :old"""
    ),
    erasure_sql(reads_statement("enrollment")),
    erasure_sql("DELETE FROM enrollment.people WHERE id = :old"),
]
# Once every subscription to erasures has passed the erasure event (each service has acted): every
# payload up to it naming the old person id or object id, and an aggregate id that was the person's,
# rewritten to the new ones. A subscription to other topics that has not reached such a payload yet
# then reads the new ids, as the re-keyed tables have them. Webhook endpoints are not waited for (one may
# be disabled for days): one behind delivers the rewritten payloads.
SCRUB_READY = erasure_sql(
    """SELECT e.id FROM eventbus.events e
       WHERE e.event_id = :event_id
         AND NOT EXISTS (SELECT 1 FROM eventbus.subscriptions s
                         WHERE e.topic = ANY(s.topics) AND (s.last_xid, s.last_id) < (e.xid, e.id)
                           AND s.name NOT LIKE 'enrollment.webhook.%')"""
)
SCRUB = erasure_sql(
    """UPDATE eventbus.events
       SET payload = CAST(replace(replace(CAST(payload AS text), :old_text, :new_text),
                                  coalesce(:oid, :old_text), :pseudo) AS jsonb),
           aggregate_id = CASE WHEN aggregate_id = :old_text THEN :new_text
                               ELSE aggregate_id END
       WHERE id <= :upto
         AND (CAST(payload AS text) LIKE '%' || :old_text || '%'
              OR (:oid IS NOT NULL AND CAST(payload AS text) LIKE '%' || :oid || '%')
              OR aggregate_id = :old_text)"""
)


async def erase_rows(session: AsyncSession, params: Mapping[str, object]) -> None:
    for statement in ERASE:
        await session.execute(statement, params)


async def pending_erasures(session: AsyncSession) -> list[Erasure]:
    """Erasures whose payloads are still to be rewritten, locked (another replica skips them)."""
    found = await session.execute(
        select(Erasure).where(col(Erasure.scrubbed_at).is_(None)).with_for_update(skip_locked=True)
    )
    return list(found.scalars())


async def scrub_point(session: AsyncSession, event_id: uuid.UUID) -> int | None:
    """The erasure event's position once every subscription to erasures has passed it; None before."""
    upto = await session.scalar(SCRUB_READY, {"event_id": event_id})
    return int(upto) if upto is not None else None


async def scrub(session: AsyncSession, erasure: Erasure, upto: int) -> None:
    params = {
        "old": erasure.old_person_id,
        "new": erasure.new_person_id,
        "oid": erasure.old_oid,
        "pseudo": erasure.pseudonym,
        "upto": upto,
    }
    await session.execute(SCRUB, params)


async def departed(session: AsyncSession, before: datetime, limit: int) -> list[Person]:
    """People HR deactivated before `before` and not yet erased, locked (another replica skips them)."""
    found = await session.execute(
        select(Person)
        .where(col(Person.active).is_(False), col(Person.updated_at) < before)
        .where(~col(Person.external_id).startswith("erased-"))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(found.scalars())

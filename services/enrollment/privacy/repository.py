"""SQL for access requests: everything the enrolment service holds about one person."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.directory.models import Person
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

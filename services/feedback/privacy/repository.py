"""SQL for access requests: everything the feedback service holds about one person. Never what they
answered: no answer can be tied to anyone (docs/anonymity.md)."""

from __future__ import annotations

from services.kernel.privacy import reads_queries, subject_sql

PERSON_OF = subject_sql("SELECT person_id FROM feedback.people WHERE entra_oid = {oid}")
# Category -> the rows about the person (`:person_id`, `:oid`).
SUBJECT = {
    "person": subject_sql(
        """SELECT person_id, entra_oid, org_unit_id, active FROM feedback.people
            WHERE person_id = {pid} OR entra_oid = {oid}"""
    ),
    "leader_groups": subject_sql(
        """SELECT leader_group_id, leader_id = {pid} AS leads FROM feedback.leader_groups
            WHERE leader_id = {pid} OR {pid} = ANY(member_ids)"""
    ),
    "places": subject_sql(
        """SELECT participation_id, session_id, offering_id, confirmed_at FROM feedback.participants
            WHERE person_id = {pid} ORDER BY confirmed_at"""
    ),
    "invitations": subject_sql(
        """SELECT i.survey_id, s.title AS survey, s.status, i.credential_issued, i.withdrawn, i.invited_at
            FROM feedback.invitations i JOIN feedback.surveys s ON s.id = i.survey_id
            WHERE i.person_id = {pid} ORDER BY i.invited_at"""
    ),
    "surveys_opened_or_closed": subject_sql(
        """SELECT id, title, opened_at, closed_at FROM feedback.surveys
            WHERE opened_by = {oid} OR closed_by = {oid} ORDER BY opened_at"""
    ),
    "templates_made": subject_sql(
        """SELECT key, version, created_at FROM feedback.survey_templates
            WHERE created_by = {oid} ORDER BY created_at"""
    ),
    **reads_queries("feedback"),
}

"""The periods of the enrolment service's register it enforces itself (services/kernel/retention.py).
Children before parents: a row is deleted before the row it refers to."""

from __future__ import annotations

from datetime import timedelta

from services.kernel.retention import Retention

# How long a record of a mail is kept. The mailer sends no mail for an event older than this: without
# the record it could not tell whether that mail had gone already.
MAIL_RECORDS_KEPT = timedelta(days=90)
_MAILS = "interval '90 days'"
_ENDED_REQUESTS = (
    "SELECT r.id FROM enrollment.coaching_requests r WHERE r.state IN ('completed', 'withdrawn', 'declined') "
    "AND r.updated_at < :now - interval '2 years'"
)
# An enrolment whose sessions all ended five years ago (a programme's: every session of the offering);
# one that holds a coaching session's place goes with its coaching request.
_OLD_ENROLLMENTS = (
    "SELECT e.id FROM enrollment.enrollments e WHERE e.created_at < :now - interval '5 years' "
    "AND NOT EXISTS (SELECT 1 FROM enrollment.sessions s "
    "WHERE (s.id = e.session_id OR (e.session_id IS NULL AND s.offering_id = e.offering_id)) "
    "AND s.ends_at >= :now - interval '5 years') "
    "AND NOT EXISTS (SELECT 1 FROM enrollment.coaching_sessions c WHERE c.enrollment_id = e.id)"
)
_OLD_COMPLETIONS = (
    "SELECT c.id FROM enrollment.completions c "
    "WHERE coalesce(c.withdrawn_at, c.completed_at) < :now - interval '10 years'"
)

RULES = (
    Retention("enrollment.mail_deliveries", f"claimed_at < :now - {_MAILS}"),
    Retention("enrollment.session_reminders", f"sent_at < :now - {_MAILS}"),
    Retention(
        "enrollment.calendar_sequences",
        f"session_id IN (SELECT s.id FROM enrollment.sessions s WHERE s.ends_at < :now - {_MAILS})",  # noqa: S608
    ),
    Retention("enrollment.calendar_feeds", f"revoked_at < :now - {_MAILS}"),
    Retention("enrollment.completion_feed", f"completion_id IN ({_OLD_COMPLETIONS})"),
    Retention("enrollment.completions", f"id IN ({_OLD_COMPLETIONS})"),
    Retention("enrollment.coaching_request_changes", f"request_id IN ({_ENDED_REQUESTS})"),
    Retention("enrollment.coaching_sessions", f"request_id IN ({_ENDED_REQUESTS})"),
    Retention("enrollment.coaching_requests", f"id IN ({_ENDED_REQUESTS})"),
    Retention("enrollment.enrollment_audit", f"enrollment_id IN ({_OLD_ENROLLMENTS})"),
    Retention("enrollment.participations", f"enrollment_id IN ({_OLD_ENROLLMENTS})"),
    Retention("enrollment.enrollments", f"id IN ({_OLD_ENROLLMENTS})"),
    # Members and pins go with their round (ON DELETE CASCADE).
    Retention("enrollment.reflection_rounds", "created_at < :now - interval '5 years'"),
    Retention("enrollment.personal_data_reads", "at < :now - interval '5 years'"),
    Retention("enrollment.webhook_attempts", "attempted_at < :now - interval '30 days'"),
    Retention("enrollment.erasures", "scrubbed_at IS NOT NULL AND ordered_at < :now - interval '5 years'"),
)

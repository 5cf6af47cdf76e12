"""The periods of the feedback service's register it enforces itself (services/kernel/retention.py)."""

from __future__ import annotations

from services.kernel.retention import Retention

RULES = (
    Retention("feedback.personal_data_reads", "at < :now - interval '5 years'"),
    # A year after the survey closed (the survey keeps how many were invited).
    Retention(
        "feedback.invitations",
        "survey_id IN (SELECT s.id FROM feedback.surveys s "
        "WHERE s.status = 'closed' AND s.closed_at < :now - interval '1 year')",
    ),
)

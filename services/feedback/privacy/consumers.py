"""The feedback service's part of an erasure: the person's directory entry, places, invitations and
groups move to the pseudonymous id (so surveys' counts stay), what they did as a coordinator to the
pseudonym. Answers need nothing: none is tied to anyone."""

from __future__ import annotations

from services.kernel.erasure import erasure_sql, erasure_subscription, reads_statement

STATEMENTS = [
    erasure_sql("UPDATE feedback.people SET person_id = :new, entra_oid = NULL WHERE person_id = :old"),
    erasure_sql("UPDATE feedback.participants SET person_id = :new WHERE person_id = :old"),
    erasure_sql("UPDATE feedback.invitations SET person_id = :new WHERE person_id = :old"),
    erasure_sql(
        """UPDATE feedback.leader_groups
           SET leader_id = CASE WHEN leader_id = :old THEN :new ELSE leader_id END,
               member_ids = array_replace(member_ids, :old, :new)
           WHERE leader_id = :old OR :old = ANY(member_ids)"""
    ),
    erasure_sql(
        """UPDATE feedback.surveys
           SET opened_by = CASE WHEN opened_by = :oid THEN :pseudo ELSE opened_by END,
               closed_by = CASE WHEN closed_by = :oid THEN :pseudo ELSE closed_by END
           WHERE opened_by = :oid OR closed_by = :oid"""
    ),
    erasure_sql("UPDATE feedback.survey_templates SET created_by = :pseudo WHERE created_by = :oid"),
    erasure_sql(reads_statement("feedback")),
]
ERASURES = erasure_subscription("feedback", STATEMENTS)

"""The feedback service's register of processing: what personal data it keeps (docs/privacy.md). The
answers themselves are not personal data: they are stored without anything that ties them to a person
(docs/anonymity.md)."""

from __future__ import annotations

from services.kernel.privacy import BY_ERASURE, Processing, reads_processing
from services.kernel.retention import ENFORCED_BY

PUBLIC_TASK = "GDPR art. 6(1)(e): the municipality's task as employer to develop its leaders"

REGISTER = (
    Processing(
        data="Directory ids and Entra object ids of people, their org unit and whether active; leader "
        "groups and their members; who held a confirmed place in which session",
        subjects="Employees the enrolment service announces",
        purpose="Knowing whom to invite to which survey, and which org unit an answer may name",
        basis=PUBLIC_TASK,
        retention="While the enrolment service lists the person; moved to the pseudonym when their data is "
        "erased (invitations and places stay, so surveys' counts do)",
        enforced_by=BY_ERASURE,
        stored_in=["feedback.people", "feedback.leader_groups", "feedback.participants"],
    ),
    Processing(
        data="Who was invited to which survey, and whether a credential was issued to them (never whether "
        "or what they answered)",
        subjects="Invited participants",
        purpose="Inviting and reminding; one credential per invitee",
        basis=PUBLIC_TASK,
        retention="Until the survey closes and a year after (reminders, complaints); the survey keeps only "
        "how many were invited",
        enforced_by=ENFORCED_BY,
        stored_in=["feedback.invitations"],
    ),
    Processing(
        data="Entra object id of the coordinator who made a template version or opened or closed a survey",
        subjects="Coordinators",
        purpose="Accountability for surveys",
        basis=PUBLIC_TASK,
        retention="As long as the survey or template exists; pseudonymised when the coordinator's data is "
        "erased",
        enforced_by=BY_ERASURE,
        stored_in=["feedback.survey_templates", "feedback.surveys"],
    ),
    reads_processing("feedback"),
)

# Tables that hold no personal data, and why.
NO_PERSONAL_DATA = {
    "feedback.offerings": "the catalogue's offerings",
    "feedback.org_units": "the organisation's units",
    "feedback.survey_keys": "the surveys' signing keys",
    "feedback.ballots": "sealed anonymous ballots: no person, by construction (docs/anonymity.md)",
    "feedback.responses": "anonymous answers with at most an org unit and sector, released above the "
    "threshold (docs/anonymity.md)",
}

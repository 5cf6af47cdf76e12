"""The enrolment service's register of processing: what personal data it keeps (docs/privacy.md)."""

from __future__ import annotations

from services.kernel.privacy import BY_ERASURE, Processing, reads_processing
from services.kernel.retention import ENFORCED_BY

PUBLIC_TASK = "GDPR art. 6(1)(e): the municipality's task as employer to develop its leaders"

REGISTER = (
    Processing(
        data="Name, e-mail, Entra object id, HR employee id, org unit, manager, preferred language and "
        "whether active; leader groups and their members with role titles",
        subjects="Employees HR sends (leaders and their leader groups)",
        purpose="Who may enrol in what (audience rules), who leads which group, where to send mail",
        basis=PUBLIC_TASK,
        retention="While HR lists the person; erased (moved to a pseudonym, names, e-mail and ids gone) 30 "
        "days after HR deactivates them, or when a privacy officer orders it",
        enforced_by=BY_ERASURE,
        stored_in=[
            "enrollment.people",
            "enrollment.leader_groups",
            "enrollment.leader_group_members",
            "enrollment.audience_published",
        ],
    ),
    Processing(
        data="Enrolments, places in sessions, waiting-list positions, attendance, cancellations and their "
        "reasons, who enrolled whom, every change with its actor",
        subjects="Participants, and the coordinators and leaders who acted for them",
        purpose="Running enrolment and waiting lists fairly; coverage of the programme",
        basis=PUBLIC_TASK,
        retention="Five years after the session (the programme's coverage and trend; a programme's: its "
        "last session); the actor of a change is pseudonymised when that person's data is erased; "
        "idempotency keys 24 hours",
        enforced_by=ENFORCED_BY,
        stored_in=[
            "enrollment.enrollments",
            "enrollment.participations",
            "enrollment.enrollment_audit",
            "enrollment.idempotency_keys",
        ],
    ),
    Processing(
        data="Completed training (offering, sessions attended, when), and the feed of it to HR",
        subjects="Participants",
        purpose="HR's record of completed training",
        basis=PUBLIC_TASK,
        retention="As long as HR needs it for the employee's training record: ten years after completion",
        enforced_by=ENFORCED_BY,
        stored_in=["enrollment.completions", "enrollment.completion_feed"],
    ),
    Processing(
        data="Mails sent (kind, to whom, when, outcome), calendar invitations' sequence numbers, reminders "
        "sent, personal calendar feeds (a hash of the secret address)",
        subjects="Participants and coaches",
        purpose="Sending each mail once and keeping calendars in step",
        basis=PUBLIC_TASK,
        retention="Ninety days after sending (a session's invitation numbers: ninety days after it ended); a "
        "feed until revoked, then ninety days",
        enforced_by=ENFORCED_BY,
        stored_in=[
            "enrollment.mail_deliveries",
            "enrollment.calendar_sequences",
            "enrollment.session_reminders",
            "enrollment.calendar_feeds",
        ],
    ),
    Processing(
        data="Coaching requests: the leader's note and preferred times, the coach assigned, the states and "
        "who changed them",
        subjects="Top leaders asking for coaching",
        purpose="Arranging coaching on request",
        basis=PUBLIC_TASK,
        retention="Two years after the request ends (completed, withdrawn or declined)",
        enforced_by=ENFORCED_BY,
        stored_in=[
            "enrollment.coaching_requests",
            "enrollment.coaching_request_changes",
            "enrollment.coaching_sessions",
        ],
    ),
    Processing(
        data="Coaches' names, e-mail, organisation, language and sign-in",
        subjects="Coaches",
        purpose="Assigning coaches and telling them of their requests",
        basis=PUBLIC_TASK,
        retention="While the programme uses the coach",
        enforced_by=None,
        stored_in=["enrollment.coaches"],
    ),
    Processing(
        data="Who was in which reflection group, pins (kept together or apart), who made and confirmed "
        "a round",
        subjects="Top leaders in reflection groups; coordinators",
        purpose="Composing reflection groups across agencies, with people who have not met",
        basis=PUBLIC_TASK,
        retention="Five years after the round (the history proposals avoid repeating)",
        enforced_by=ENFORCED_BY,
        stored_in=[
            "enrollment.reflection_rounds",
            "enrollment.reflection_members",
            "enrollment.reflection_pins",
        ],
    ),
    Processing(
        data="Erasures ordered: who ordered each and why, the pseudonymous id the person's records moved "
        "to, and the person's old identifiers until every service has acted on it",
        subjects="Privacy officers; erased people (their old identifiers, for minutes)",
        purpose="Carrying out erasure in every service, and showing it was done",
        basis="GDPR art. 17 and art. 5(2)",
        retention="The old identifiers until every service has acted (then rewritten out of the event "
        "payloads and forgotten); the order five years",
        enforced_by=ENFORCED_BY,
        stored_in=["enrollment.erasures"],
    ),
    Processing(
        data="The events of the topics an integration subscribed to, which name people by id (enrolments, "
        "completions, HR's people); here only a log of each delivery attempt (event id, topic, answer)",
        subjects="Participants and employees the events are about",
        purpose="Keeping the HR system, reporting and other integrations registered by ops in step "
        "(webhooks)",
        basis=PUBLIC_TASK,
        retention="Payloads are not kept for webhooks (they are read from the event bus when delivered; "
        "an erased person's are rewritten); the attempts log 30 days",
        enforced_by=ENFORCED_BY,
        stored_in=["enrollment.webhook_attempts"],
    ),
    reads_processing("enrollment"),
)

# Tables that hold no personal data, and why.
NO_PERSONAL_DATA = {
    "enrollment.org_units": "the organisation's units",
    "enrollment.offerings": "the catalogue's offerings, as its events tell",
    "enrollment.sessions": "the catalogue's sessions and their seat counts",
    "enrollment.webhook_endpoints": "integrations' addresses, topics and signing secrets",
}

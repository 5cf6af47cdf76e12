"""Every table of the enrollment schema, imported in one place so Alembic and the tests see them all."""

from sqlmodel import SQLModel

from services.enrollment.coaching.models import Coach, CoachingRequest, CoachingRequestChange, CoachingSession
from services.enrollment.completions.models import Completion, CompletionFeedEntry
from services.enrollment.directory.models import (
    AudiencePublished,
    LeaderGroup,
    LeaderGroupMember,
    OrgUnit,
    Person,
)
from services.enrollment.enrollments.models import Enrollment, EnrollmentAudit, Participation
from services.enrollment.idempotency.models import IdempotencyKey
from services.enrollment.notifications.models import MailDelivery
from services.enrollment.offerings.models import OfferingView
from services.enrollment.privacy.models import Erasure, PersonalDataRead
from services.enrollment.reflection.models import ReflectionMember, ReflectionPin, ReflectionRound
from services.enrollment.sessions.models import SessionView

metadata = SQLModel.metadata

__all__ = [
    "AudiencePublished",
    "Coach",
    "CoachingRequest",
    "CoachingRequestChange",
    "CoachingSession",
    "Completion",
    "CompletionFeedEntry",
    "Enrollment",
    "EnrollmentAudit",
    "Erasure",
    "IdempotencyKey",
    "LeaderGroup",
    "LeaderGroupMember",
    "MailDelivery",
    "OfferingView",
    "OrgUnit",
    "Participation",
    "Person",
    "PersonalDataRead",
    "ReflectionMember",
    "ReflectionPin",
    "ReflectionRound",
    "SessionView",
    "metadata",
]

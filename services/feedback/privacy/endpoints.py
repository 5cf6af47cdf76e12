"""HTTP endpoint for access requests to the feedback service (the gateway gathers every service's)."""

from __future__ import annotations

from services.feedback.privacy import repository
from services.feedback.privacy.models import PersonalDataRead
from services.kernel.privacy import subject_router

router = subject_router(
    "feedback",
    repository.SUBJECT,
    PersonalDataRead,
    "their directory entry, places, survey invitations (never what they answered: no answer can be tied "
    "to anyone), surveys and templates they made as a coordinator",
    person_of=repository.PERSON_OF,
)

"""Every table of the feedback schema, imported in one place so Alembic and the tests see them all."""

from sqlmodel import SQLModel

from services.feedback.directory.models import KnownLeaderGroup, KnownOffering, KnownOrgUnit, KnownPerson
from services.feedback.participants.models import Participant
from services.feedback.privacy.models import PersonalDataRead
from services.feedback.surveys.models import (
    Invitation,
    Response,
    SealedBallot,
    Survey,
    SurveyKey,
    SurveyTemplate,
)

metadata = SQLModel.metadata

__all__ = [
    "Invitation",
    "KnownLeaderGroup",
    "KnownOffering",
    "KnownOrgUnit",
    "KnownPerson",
    "Participant",
    "PersonalDataRead",
    "Response",
    "SealedBallot",
    "Survey",
    "SurveyKey",
    "SurveyTemplate",
    "metadata",
]

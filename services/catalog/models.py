"""Every table of the catalog schema, imported in one place so Alembic and the tests see them all."""

from sqlmodel import SQLModel

from services.catalog.audience.models import AudienceView
from services.catalog.history.models import Change
from services.catalog.offerings.models import Offering, OfferingKind, OfferingTheme, SearchWord, Theme
from services.catalog.privacy.models import PersonalDataRead
from services.catalog.sessions.models import CourseSession

metadata = SQLModel.metadata

__all__ = [
    "AudienceView",
    "Change",
    "CourseSession",
    "Offering",
    "OfferingKind",
    "OfferingTheme",
    "PersonalDataRead",
    "SearchWord",
    "Theme",
    "metadata",
]

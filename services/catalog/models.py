"""Every table of the catalog schema, imported in one place so Alembic and the tests see them all."""

from sqlmodel import SQLModel

from services.catalog.offerings.models import Offering, OfferingKind
from services.catalog.sessions.models import CourseSession

metadata = SQLModel.metadata

__all__ = ["CourseSession", "Offering", "OfferingKind", "metadata"]

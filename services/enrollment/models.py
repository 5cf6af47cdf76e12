"""Every table of the enrollment schema, imported in one place so Alembic and the tests see them all."""

from sqlmodel import SQLModel

from services.enrollment.directory.models import LeaderGroup, LeaderGroupMember, OrgUnit, Person
from services.enrollment.enrollments.models import Enrollment
from services.enrollment.sessions.models import SessionView

metadata = SQLModel.metadata

__all__ = [
    "Enrollment",
    "LeaderGroup",
    "LeaderGroupMember",
    "OrgUnit",
    "Person",
    "SessionView",
    "metadata",
]

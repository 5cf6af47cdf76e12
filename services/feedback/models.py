"""Every table of the feedback schema, imported in one place so Alembic and the tests see them all."""

from sqlmodel import SQLModel

from services.feedback.participants.models import Participant

metadata = SQLModel.metadata

__all__ = ["Participant", "metadata"]

"""Alembic environment of the feedback schema."""

from services.feedback.models import metadata
from services.kernel.migrations import run_env

run_env(metadata)

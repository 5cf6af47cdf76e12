"""Alembic environment of the enrollment schema."""

from services.enrollment.models import metadata
from services.kernel.migrations import run_env

run_env(metadata)

"""Alembic environment of the eventbus schema."""

from services.kernel.eventbus.tables import metadata
from services.kernel.migrations import run_env

run_env(metadata)

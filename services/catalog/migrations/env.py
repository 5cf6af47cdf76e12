"""Alembic environment of the catalog schema."""

from services.catalog.models import metadata
from services.kernel.migrations import run_env

run_env(metadata)

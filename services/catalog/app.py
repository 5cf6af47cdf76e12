"""Catalogue service: app factory (`uvicorn --factory services.catalog.app:create_app`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.catalog.audience.consumers import AUDIENCE
from services.catalog.calendar.endpoints import router as calendar_router
from services.catalog.offerings.endpoints import router as offerings_router
from services.catalog.privacy.consumers import ERASURES
from services.catalog.privacy.endpoints import router as privacy_router
from services.catalog.privacy.register import REGISTER
from services.catalog.privacy.retention import RULES
from services.catalog.search.endpoints import router as search_router
from services.catalog.sessions.consumers import SEATS
from services.catalog.sessions.endpoints import router as sessions_router
from services.catalog.settings import CatalogSettings
from services.kernel.migrations import MigrationSet
from services.kernel.service import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name="catalog",
    title="Catalogue",
    description="Offerings, their dated sessions and the seats taken in them.",
    privacy=REGISTER,
    retention=RULES,
    migrations=MigrationSet(schema="catalog", directory=Path(__file__).parent / "migrations"),
    routers=(search_router, offerings_router, sessions_router, calendar_router, privacy_router),
    subscriptions=(SEATS, AUDIENCE, ERASURES),
)


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or CatalogSettings())

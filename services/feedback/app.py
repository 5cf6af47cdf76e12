"""Feedback service: app factory (`uvicorn --factory services.feedback.app:create_app`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.feedback.participants.consumers import PARTICIPANTS
from services.feedback.participants.endpoints import router as participants_router
from services.feedback.settings import FeedbackSettings
from services.kernel.migrations import MigrationSet
from services.kernel.service import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name="feedback",
    title="Feedback",
    description="Participants of sessions, surveys and anonymous responses.",
    migrations=MigrationSet(schema="feedback", directory=Path(__file__).parent / "migrations"),
    routers=(participants_router,),
    subscriptions=(PARTICIPANTS,),
)


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or FeedbackSettings())

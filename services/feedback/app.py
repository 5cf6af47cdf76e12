"""Feedback service: app factory (`uvicorn --factory services.feedback.app:create_app`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI

from services.feedback.answering.endpoints import anonymous_router as ballots_router
from services.feedback.answering.endpoints import router as answering_router
from services.feedback.directory.consumers import DIRECTORY
from services.feedback.participants.consumers import PARTICIPANTS
from services.feedback.participants.endpoints import router as participants_router
from services.feedback.privacy.consumers import ERASURES
from services.feedback.privacy.endpoints import router as privacy_router
from services.feedback.privacy.register import REGISTER
from services.feedback.privacy.retention import RULES
from services.feedback.reports.endpoints import router as reports_router
from services.feedback.settings import FeedbackSettings
from services.feedback.surveys.consumers import surveys_subscription
from services.feedback.surveys.endpoints import router as surveys_router
from services.feedback.surveys.mails import send_due_reminders
from services.feedback.surveys.service import close_expired
from services.kernel.migrations import MigrationSet
from services.kernel.periodic import PeriodicJob
from services.kernel.service import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name="feedback",
    title="Feedback",
    description=(
        "Survey templates, surveys that open from enrollment events, anonymous answers and reports. "
        "Answers are sealed until their survey closes and then stored with no link to anyone; results "
        "show more than counts only where enough people answered."
    ),
    privacy=REGISTER,
    retention=RULES,
    migrations=MigrationSet(schema="feedback", directory=Path(__file__).parent / "migrations"),
    routers=(
        surveys_router,
        answering_router,
        ballots_router,
        reports_router,
        participants_router,
        privacy_router,
    ),
    subscriptions=(PARTICIPANTS, DIRECTORY, ERASURES),
    periodic=(
        PeriodicJob(
            name="close-expired-surveys",
            run=close_expired,
            interval_seconds=lambda settings: float(settings.survey_sweep_seconds),
        ),
        PeriodicJob(
            name="survey-reminders",
            run=send_due_reminders,
            interval_seconds=lambda settings: float(settings.survey_sweep_seconds),
        ),
    ),
)


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    settings = settings or FeedbackSettings()
    definition = replace(
        DEFINITION, subscriptions=(*DEFINITION.subscriptions, surveys_subscription(settings))
    )
    return create_service_app(definition, settings)

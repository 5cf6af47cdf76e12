"""Enrollment service: app factory (`uvicorn --factory services.enrollment.app:create_app`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI

from services.enrollment.coaching.endpoints import router as coaching_router
from services.enrollment.completions.endpoints import router as completions_router
from services.enrollment.directory.endpoints import router as directory_router
from services.enrollment.enrollments.endpoints import router as enrollments_router
from services.enrollment.feeds.endpoints import router as feeds_router
from services.enrollment.hrsync.endpoints import router as hrsync_router
from services.enrollment.insight.endpoints import router as insight_router
from services.enrollment.notifications.endpoints import router as mail_router
from services.enrollment.notifications.mailer import mail_subscription
from services.enrollment.notifications.reminders import send_due_reminders
from services.enrollment.offerings.consumers import OFFERINGS
from services.enrollment.offerings.endpoints import router as offerings_router
from services.enrollment.privacy import service as erasure
from services.enrollment.privacy.endpoints import router as privacy_router
from services.enrollment.privacy.register import REGISTER
from services.enrollment.privacy.retention import RULES
from services.enrollment.reflection.endpoints import router as reflection_router
from services.enrollment.sessions.consumers import SESSIONS
from services.enrollment.sessions.endpoints import router as sessions_router
from services.enrollment.settings import EnrollmentSettings
from services.enrollment.webhooks.consumers import WEBHOOKS
from services.enrollment.webhooks.endpoints import router as webhooks_router
from services.kernel.migrations import MigrationSet
from services.kernel.periodic import PeriodicJob
from services.kernel.service import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name="enrollment",
    title="Enrollment",
    description="The HR directory (org units, people, leader groups) and enrollments in sessions.",
    privacy=REGISTER,
    retention=RULES,
    migrations=MigrationSet(schema="enrollment", directory=Path(__file__).parent / "migrations"),
    routers=(
        directory_router,
        hrsync_router,
        enrollments_router,
        sessions_router,
        offerings_router,
        completions_router,
        reflection_router,
        mail_router,
        feeds_router,
        coaching_router,
        insight_router,
        privacy_router,
        webhooks_router,
    ),
    subscriptions=(OFFERINGS, SESSIONS),
    supervisors=(WEBHOOKS,),
    periodic=(
        PeriodicJob(
            name="erasure",
            run=erasure.run,
            interval_seconds=lambda settings: float(settings.erasure_sweep_seconds),
        ),
        PeriodicJob(
            name="session-reminders",
            run=send_due_reminders,
            interval_seconds=lambda settings: float(settings.reminder_sweep_seconds),
        ),
    ),
)


def create_app(settings: EnrollmentSettings | None = None) -> FastAPI:
    settings = settings or EnrollmentSettings()
    # The mailer needs the settings (SMTP server or .eml directory), so it joins here.
    definition = replace(DEFINITION, subscriptions=(*DEFINITION.subscriptions, mail_subscription(settings)))
    return create_service_app(definition, settings)

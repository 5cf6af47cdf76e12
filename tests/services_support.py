"""Fixtures that run the real service apps in-process against the test database."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.enrollment.app import create_app as create_enrollment
from services.enrollment.settings import EnrollmentSettings
from services.feedback.app import create_app as create_feedback
from services.feedback.settings import FeedbackSettings
from tests.mailbox import Inbox
from tests.support import running


@pytest.fixture
async def catalog(
    db: AsyncEngine, service_settings: Callable[..., dict[str, Any]]
) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_catalog(CatalogSettings(**service_settings()))) as client:
        yield client


@pytest.fixture
def mail_directory(tmp_path: Path) -> Path:
    """Where the enrollment service under test writes its mails (no SMTP server configured)."""
    return tmp_path / "mail"


@pytest.fixture
async def enrollment(
    db: AsyncEngine, service_settings: Callable[..., dict[str, Any]], mail_directory: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = EnrollmentSettings(**service_settings(mail_directory=mail_directory))
    async with running(create_enrollment(settings)) as client:
        yield client


@pytest.fixture
async def mailing_enrollment(
    db: AsyncEngine, service_settings: Callable[..., dict[str, Any]], smtp: tuple[Inbox, int]
) -> AsyncIterator[httpx.AsyncClient]:
    """The enrollment service sending over SMTP to the test server."""
    _, port = smtp
    settings = EnrollmentSettings(
        **service_settings(mail_smtp_host="127.0.0.1", mail_smtp_port=port, mail_smtp_security="none")
    )
    async with running(create_enrollment(settings)) as client:
        yield client


@pytest.fixture
def feedback_settings(service_settings: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """The feedback service's settings under test: its own ballot key, the default threshold."""
    return service_settings(
        ballot_key=base64.urlsafe_b64encode(os.urandom(32)).decode(), survey_sweep_seconds=0.3
    )


@pytest.fixture
async def feedback(db: AsyncEngine, feedback_settings: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_feedback(FeedbackSettings(**feedback_settings))) as client:
        yield client

"""Request dependencies of the feedback service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.feedback.settings import FeedbackSettings


def feedback_settings(request: Request) -> FeedbackSettings:
    settings: FeedbackSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[FeedbackSettings, Depends(feedback_settings)]

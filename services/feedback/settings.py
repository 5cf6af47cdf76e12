"""Feedback settings (env prefix `FEEDBACK_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from services.kernel.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "feedback"
    port: int = 8003

"""Enrolment settings (env prefix `ENROLLMENT_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from services.kernel.settings import ServiceSettings


class EnrollmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ENROLLMENT_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "enrollment"
    port: int = 8002

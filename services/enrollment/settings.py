"""Enrolment settings (env prefix `ENROLLMENT_`)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kernel.settings import ServiceSettings


class EnrollmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ENROLLMENT_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "enrollment"
    port: int = 8002
    directory_max_deactivate_share: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="A full HR sync deactivating a larger share is refused unless forced.",
    )

"""Feedback settings (env prefix `FEEDBACK_`)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import ClassVar, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.kernel.settings import DATA_DIR, Environment, ServiceSettings


def development_ballot_key(path: Path | None = None) -> str:
    """The development ballot key under .data/, made on first use (never used outside development)."""
    path = path or DATA_DIR / "dev-keys" / "feedback-ballot.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


class FeedbackSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "feedback"
    REQUIRED_OUTSIDE_DEVELOPMENT = (*ServiceSettings.REQUIRED_OUTSIDE_DEVELOPMENT, "ballot_key")

    port: int = 8003
    anonymity_threshold: int = Field(
        default=5,
        ge=3,
        description="Fewest answers a group must have before its results show more than counts.",
    )
    ballot_key: SecretStr | None = Field(
        default=None,
        description="AES-256 key (32 bytes, URL-safe base64) that seals answers until their survey closes.",
    )
    session_evaluation_days: float = Field(default=14, gt=0)
    followup_days: float = Field(default=30, gt=0)
    baseline_min_hours: float = Field(
        default=48,
        gt=0,
        description="A baseline stays open at least this long, even if the programme is near.",
    )
    survey_sweep_seconds: float = Field(
        default=30, gt=0, description="How often surveys past their time close (and reminders are due)."
    )
    survey_link: str = Field(
        default="https://intranett.oslo.kommune.no/lederutvikling/evalueringer/{survey_id}",
        description="Where the intranet answers a survey, linked from its mails (`{survey_id}` filled in).",
    )
    survey_reminder_hours: float = Field(
        default=48,
        ge=0,
        description="How long before a survey closes its one reminder goes (by day, 08:00–21:00 Oslo time); "
        "0: no reminders. None goes for a survey open for less than a day before it.",
    )

    @field_validator("ballot_key")
    @classmethod
    def _a_256_bit_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                raw = base64.urlsafe_b64decode(value.get_secret_value().encode())
            except ValueError as error:
                raise ValueError("FEEDBACK_BALLOT_KEY is not URL-safe base64") from error
            if len(raw) != 32:
                raise ValueError("FEEDBACK_BALLOT_KEY must decode to 32 bytes")
        return value

    @model_validator(mode="after")
    def _development_ballot_key(self) -> Self:
        if self.ballot_key is None and self.app_env is Environment.development:
            object.__setattr__(self, "ballot_key", SecretStr(development_ballot_key()))
        return self

    def ballot_key_bytes(self) -> bytes:
        assert self.ballot_key is not None
        return base64.urlsafe_b64decode(self.ballot_key.get_secret_value().encode())

"""Settings shared by every process, read from the environment with pydantic-settings.

Each service subclasses `ServiceSettings` with its own env prefix (`CATALOG_`, `ENROLLMENT_`, ...).
A handful of platform-wide variables (`APP_ENV`, `DATABASE_URL`, `OIDC_*`, `LOG_LEVEL`) are also read
without the prefix, so one export configures every process; the prefixed form wins when both are set.
Outside development nothing secret or environment-specific has a default: a missing value stops start-up.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / ".data"
# The development identity provider: devtools/devkeys.py makes the key pair whose public half is DEV_JWKS
# and signs development tokens with it (`make run` and `make token` create it).
DEV_ISSUER = "https://login.dev.invalid/ledelsesutvikling/v2.0"
DEV_AUDIENCE = "api://ledelsesutvikling-dev"
DEV_JWKS = DATA_DIR / "dev-keys" / "jwks.json"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class _SharedEnvSource(EnvSettingsSource):
    """Reads the platform-wide fields from unprefixed variables (`DATABASE_URL` as well as `CATALOG_...`)."""

    def __init__(self, settings_cls: type[BaseSettings], shared: frozenset[str]) -> None:
        super().__init__(settings_cls, env_prefix="")
        self._shared = shared

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name not in self._shared:
            return None, field_name, False
        return super().get_field_value(field, field_name)


class PlatformSettings(BaseSettings):
    """Fields every process has: environment, database, sign-in, logging."""

    SHARED_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "app_env",
            "database_url",
            "oidc_issuer",
            "oidc_audience",
            "oidc_jwks_url",
            "log_level",
            "log_format",
        }
    )

    # Values that must be configured explicitly anywhere but in development.
    REQUIRED_OUTSIDE_DEVELOPMENT: ClassVar[tuple[str, ...]] = (
        "oidc_issuer",
        "oidc_audience",
        "oidc_jwks_url",
    )

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    app_env: Environment = Environment.development
    database_url: str | None = Field(
        default=None,
        description="postgresql://user:pass@host:port/db (in development `python -m devtools db-url` starts "
        "the embedded server and prints one).",
    )
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = Field(
        default=None,
        description="https:// URL of the identity provider's JWKS, or file:// for a local JWKS file.",
    )
    jwt_leeway_seconds: int = 60
    jwks_cache_seconds: int = 3600
    jwks_refresh_cooldown_seconds: float = 30.0
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|text)$")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _SharedEnvSource(settings_cls, cls.SHARED_FIELDS),
            file_secret_settings,
        )

    @model_validator(mode="after")
    def _development_defaults(self) -> Self:
        """Fill development defaults; refuse to start elsewhere without explicit configuration."""
        if self.app_env is Environment.development:
            updates = {
                "oidc_issuer": self.oidc_issuer or DEV_ISSUER,
                "oidc_audience": self.oidc_audience or DEV_AUDIENCE,
                "oidc_jwks_url": self.oidc_jwks_url or DEV_JWKS.as_uri(),
            }
            for name, value in updates.items():
                object.__setattr__(self, name, value)
            return self
        missing = [name.upper() for name in self.REQUIRED_OUTSIDE_DEVELOPMENT if not getattr(self, name)]
        if missing:
            raise ValueError(f"{', '.join(missing)} must be set when APP_ENV={self.app_env.value}")
        return self


class ServiceSettings(PlatformSettings):
    """Settings of one domain service. Subclasses set `env_prefix` and the defaults that differ."""

    service_name: ClassVar[str]
    REQUIRED_OUTSIDE_DEVELOPMENT = (*PlatformSettings.REQUIRED_OUTSIDE_DEVELOPMENT, "database_url")

    host: str = "127.0.0.1"
    port: int
    migrate_on_start: bool = True
    # A fixed pool by default. The hot path holds no connection while it queues for a lock (an enrollment
    # waits for its admission batch with none), so connections beyond what PostgreSQL runs at once only
    # queue inside PostgreSQL; and overflow connections are opened and closed again under load, each
    # costing a new server process and a cold statement cache.
    db_pool_size: int = 10
    db_max_overflow: int = 0
    max_body_bytes: int = Field(default=1_048_576, ge=1, description="Request body limit (413 above it).")
    body_limits: dict[str, int] = Field(
        default_factory=dict,
        description="Body limits for path prefixes, overriding `max_body_bytes` (JSON object).",
    )
    max_header_bytes: int = Field(default=16_384, ge=1024, description="All request headers together (431).")
    db_connect_timeout_seconds: float = 5.0
    db_statement_timeout_ms: int = 15_000
    db_idle_in_transaction_timeout_ms: int = 30_000
    event_poll_interval_seconds: float = Field(
        default=5.0, gt=0, description="Polling fallback when no NOTIFY arrives."
    )
    event_batch_size: int = Field(default=100, ge=1, le=10_000)
    event_max_attempts: int = Field(default=5, ge=1)
    event_retry_base_seconds: float = Field(default=0.5, gt=0)
    event_retry_max_seconds: float = Field(default=60.0, gt=0)
    retention_sweep_seconds: float = Field(
        default=3600.0, gt=0, description="How often the retention job deletes what has outlived its period."
    )
    consumers_enabled: bool = True

"""Gateway settings (env prefix `GATEWAY_`; `APP_ENV`, `OIDC_*` and `LOG_*` are shared with the services)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kernel.settings import PlatformSettings

SERVICE_NAMES = ("catalog", "enrollment", "feedback")


class GatewaySettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8000
    public_prefix: str = "/api/v1"
    catalog_url: str = "http://127.0.0.1:8001"
    enrollment_url: str = "http://127.0.0.1:8002"
    feedback_url: str = "http://127.0.0.1:8003"
    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    read_timeout_seconds: float = Field(default=30.0, gt=0)
    write_timeout_seconds: float = Field(default=30.0, gt=0)
    pool_timeout_seconds: float = Field(default=5.0, gt=0)
    max_connections: int = Field(default=200, ge=1)
    max_keepalive_connections: int = Field(default=50, ge=0)
    keepalive_expiry_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Idle upstream connections are dropped after this. Keep it below the services' "
        "keep-alive timeout (uvicorn: 5 s), or the gateway may reuse a connection the service is closing "
        "and answer 502.",
    )
    openapi_cache_seconds: float = Field(default=30.0, ge=0)

    def upstreams(self) -> dict[str, str]:
        return {name: str(getattr(self, f"{name}_url")).rstrip("/") for name in SERVICE_NAMES}

"""Gateway settings (env prefix `GATEWAY_`; `APP_ENV`, `OIDC_*` and `LOG_*` are shared with the services)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from gateway.upstream import Timeouts
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
    upstream_timeouts: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {"enrollment": {"read": 120.0, "write": 120.0}},
        description="Per upstream overrides of connect/read/write/pool seconds (JSON), e.g. the HR sync's "
        "large bodies on the enrollment service.",
    )
    max_connections: int = Field(default=200, ge=1)
    keepalive_expiry_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Idle upstream connections are dropped after this. Keep it below the services' "
        "keep-alive timeout (uvicorn: 5 s), or the gateway may reuse a connection the service is closing "
        "and answer 502.",
    )
    openapi_cache_seconds: float = Field(default=30.0, ge=0)

    # Limits (see gateway/protection.py). Rate limits are kept per replica, in memory.
    max_body_bytes: int = Field(default=1_048_576, ge=1, description="Request body limit (413 above it).")
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {"/api/v1/enrollment/directory/": 32 * 1_048_576},
        description="Body limits for path prefixes, overriding `max_body_bytes` (JSON object).",
    )
    max_header_bytes: int = Field(default=16_384, ge=1024, description="All request headers together (431).")
    rate_limit_principal_per_second: float = Field(default=20, ge=0, description="0: no limit.")
    rate_limit_principal_burst: int = Field(default=100, ge=1)
    rate_limit_address_per_second: float = Field(default=50, ge=0, description="0: no limit.")
    rate_limit_address_burst: int = Field(default=300, ge=1)
    retry_attempts: int = Field(
        default=2, ge=0, le=5, description="Extra attempts when an upstream refuses the connection."
    )
    breaker_failures: int = Field(
        default=5, ge=1, description="Failures in a row that open an upstream's breaker."
    )
    breaker_open_seconds: float = Field(
        default=0.5,
        gt=0,
        description="How long an open breaker answers 503 before it lets one request through to probe the "
        "upstream (again after each failed probe): traffic flows as soon as the upstream is back.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Intranet origins allowed to call the API from a browser (JSON list).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) whose X-Forwarded-For is believed (JSON list).",
    )
    metrics_networks: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
        description="Peers allowed to read /metrics (JSON list); others get 404.",
    )
    hsts_seconds: int = Field(default=0, ge=0, description="Strict-Transport-Security max-age (0: not sent).")
    unlinkable_routes: list[str] = Field(
        default_factory=lambda: ["POST /api/v1/feedback/surveys/{survey_id}/ballots"],
        description="Operations taken without sign-in and without a trace (JSON list of `METHOD /path` "
        "templates): no bearer token (one sent is refused), no access log line, request id, trace or "
        "metric, only the per-address limit, and nothing about the client forwarded. The merged "
        "document's operations marked `x-unlinkable` must be exactly these (a test checks).",
    )

    secret_url_routes: list[str] = Field(
        default_factory=lambda: ["GET /api/v1/enrollment/calendar-feeds/{secret}/calendar.ics"],
        description="Operations whose address holds a secret that is their key (JSON list of `METHOD /path` "
        "templates): taken without a bearer token, logged under their template so the secret is not, "
        "and limited per address as well as per secret. The merged document's operations marked "
        "`x-secret-url` must be exactly these (a test checks).",
    )
    secret_url_rate_per_second: float = Field(
        default=0.2, ge=0, description="Reads per second of one secret address (0: unlimited)."
    )
    secret_url_burst: int = Field(default=10, ge=1, description="Reads of one secret address in a burst.")

    def secret_urls(self) -> list[tuple[str, str]]:
        """(method, path template) of each operation keyed by a secret in its address."""
        return _operations(self.secret_url_routes)

    def unlinkable(self) -> list[tuple[str, str]]:
        """(method, path template) of each unlinkable operation."""
        return _operations(self.unlinkable_routes)

    # Swagger UI's sign-in (authorization code with PKCE, no secret). For Entra ID:
    # https://login.microsoftonline.com/<tenant>/oauth2/v2.0/authorize and …/token, the client id of a
    # single-page-application registration, and the scope `api://<api client id>/.default` (or a named one).
    oauth_authorization_url: str | None = None
    oauth_token_url: str | None = None
    oauth_client_id: str | None = None
    oauth_scopes: list[str] = Field(default_factory=list)

    def swagger_oauth(self) -> dict[str, Any] | None:
        """The sign-in Swagger UI offers, when configured (all of URL, token URL and client id)."""
        if not (self.oauth_authorization_url and self.oauth_token_url and self.oauth_client_id):
            return None
        return {
            "authorization_url": self.oauth_authorization_url,
            "token_url": self.oauth_token_url,
            "client_id": self.oauth_client_id,
            "scopes": self.oauth_scopes or [f"{self.oidc_audience}/.default"],
        }

    @field_validator("upstream_timeouts")
    @classmethod
    def _known_timeouts(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for name, overrides in value.items():
            if name not in SERVICE_NAMES:
                raise ValueError(f"no upstream {name!r} (known: {', '.join(SERVICE_NAMES)})")
            unknown = set(overrides) - {"connect", "read", "write", "pool"}
            if unknown or any(v <= 0 for v in overrides.values()):
                raise ValueError(f"{name}: timeouts are connect, read, write and pool, each above 0")
        return value

    def timeouts(self) -> dict[str, Timeouts]:
        """The connect, read, write and pool timeouts of each upstream (defaults, then its overrides)."""
        defaults = {
            "connect": self.connect_timeout_seconds,
            "read": self.read_timeout_seconds,
            "write": self.write_timeout_seconds,
            "pool": self.pool_timeout_seconds,
        }
        return {
            name: Timeouts(**{**defaults, **self.upstream_timeouts.get(name, {})}) for name in SERVICE_NAMES
        }

    def upstreams(self) -> dict[str, str]:
        return {name: str(getattr(self, f"{name}_url")).rstrip("/") for name in SERVICE_NAMES}


def _operations(routes: list[str]) -> list[tuple[str, str]]:
    """`METHOD /path` entries as (method, path template)."""
    return [(m.upper(), p) for m, _, p in (r.strip().partition(" ") for r in routes)]

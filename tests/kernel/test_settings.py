"""Configuration: prefixes, shared variables, and no silent defaults outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from devtools import devkeys
from gateway.settings import GatewaySettings
from services.catalog.settings import CatalogSettings
from services.enrollment.settings import EnrollmentSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_ENV", "DATABASE_URL", "OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_JWKS_URL", "CATALOG_PORT"):
        monkeypatch.delenv(name, raising=False)


def test_development_defaults_to_the_local_identity_provider() -> None:
    settings = CatalogSettings()
    assert settings.oidc_issuer == devkeys.DEV_ISSUER
    assert settings.oidc_jwks_url == devkeys.jwks_path().as_uri()
    assert settings.database_url is None  # the embedded server is used
    assert settings.port == 8001


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_nothing_is_defaulted(monkeypatch: pytest.MonkeyPatch, environment: str) -> None:
    monkeypatch.setenv("APP_ENV", environment)
    with pytest.raises(ValidationError, match="OIDC_ISSUER, OIDC_AUDIENCE, OIDC_JWKS_URL, DATABASE_URL"):
        CatalogSettings()
    with pytest.raises(ValidationError, match="OIDC_ISSUER"):
        GatewaySettings()


def test_shared_variables_apply_to_every_service_and_prefixed_ones_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/ledelse")
    monkeypatch.setenv("OIDC_ISSUER", "https://login.microsoftonline.com/tenant/v2.0")
    monkeypatch.setenv("OIDC_AUDIENCE", "api://ledelse")
    monkeypatch.setenv("OIDC_JWKS_URL", "https://login.microsoftonline.com/tenant/discovery/v2.0/keys")
    monkeypatch.setenv("CATALOG_DATABASE_URL", "postgresql://catalog@db/ledelse")
    monkeypatch.setenv("CATALOG_PORT", "9001")
    monkeypatch.setenv("PORT", "1")  # an unrelated, unprefixed variable is not read

    catalog, enrollment = CatalogSettings(), EnrollmentSettings()
    assert catalog.database_url == "postgresql://catalog@db/ledelse"
    assert enrollment.database_url == "postgresql://app@db/ledelse"
    assert (catalog.port, enrollment.port) == (9001, 8002)
    assert catalog.oidc_audience == enrollment.oidc_audience == "api://ledelse"


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_EVENT_POLL_INTERVAL_SECONDS", "0")
    with pytest.raises(ValidationError, match="event_poll_interval_seconds"):
        CatalogSettings()

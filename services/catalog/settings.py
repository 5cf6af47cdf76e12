"""Catalogue settings (env prefix `CATALOG_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from services.kernel.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "catalog"
    port: int = 8001

"""Catalogue settings (env prefix `CATALOG_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from services.kernel.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "catalog"
    port: int = 8001
    # A fixed pool: the catalogue's requests never wait on a lock while holding a connection, so more
    # connections than PostgreSQL runs at once only queue inside PostgreSQL, where waiting costs CPU (16
    # listings at once on 2 cores took 40 % more PostgreSQL time each over 15 connections than over 10),
    # and overflow connections are opened and closed again under load. The enrolment service keeps its
    # overflow: its requests queue for a session while holding one (README "Performance").
    db_max_overflow: int = 0
